package cli

import (
	"flag"

	"rollcall/app/slips"
)

// updateFlag is a string flag of an update (org set, smtp set) whose
// absence means "leave the field as it is": given, even empty, it sets
// *field.
type updateFlag struct {
	name, help string
	field      **string
}

// updateFlags defines the flags on fs; the function returned, called after
// parsing, sets the field of each flag that was given.
func updateFlags(fs *flag.FlagSet, flags ...updateFlag) (apply func()) {
	fields := map[string]**string{}
	for _, f := range flags {
		fs.String(f.name, "", f.help)
		fields[f.name] = f.field
	}
	return func() {
		fs.Visit(func(f *flag.Flag) {
			if field, ok := fields[f.Name]; ok {
				v := f.Value.String()
				*field = &v
			}
		})
	}
}

// given tells whether the flag name was on the command line.
func given(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// outputFlags defines the flags of the files that hold a batch's one-time
// passwords (--slips, --sheet, --csv) and of how they are printed (--paper,
// --layout).
func outputFlags(fs *flag.FlagSet) *outputs {
	out := &outputs{}
	fs.StringVar(&out.slips, "slips", "", "write the slips PDF here (required)")
	fs.StringVar(&out.sheet, "sheet", "", "also write the class sheet PDF here")
	fs.StringVar(&out.csv, "csv", "", "also write the results CSV here")
	fs.StringVar(&out.print.Paper, "paper", slips.PaperA4, "a4 or letter")
	fs.StringVar(&out.print.Layout, "layout", slips.LayoutCutLines, "cutlines (10 per page) or avery (L7163 on A4, 5163 on Letter)")
	return out
}
