//go:build !desktop

package cli

import (
	"context"
	"fmt"
)

// runDesktop, in a build without the desktop tag, explains how to use this binary.
func (m *Main) runDesktop(ctx context.Context) error {
	fmt.Fprint(m.Stderr, usage)
	return usagef("this build has no desktop window (build it with `make desktop`); use `rollcall serve`")
}
