package app_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/apptest"
	"rollcall/app/roster"
)

// BenchmarkImportPreviewMoodle reads a 15,000-row Moodle upload file and
// previews it. Targets (issue 12): < 0.5 s and < 100 MB peak heap; the
// numbers are printed, not asserted in unit tests.
func BenchmarkImportPreviewMoodle(b *testing.B) {
	ctx := context.Background()
	a := apptest.New(b).App
	o := mustOrg(b, a, &app.Organization{Name: "Maple"})
	var data bytes.Buffer
	data.WriteString("username,password,firstname,lastname,email,auth,idnumber,institution,department,city,country,lang,suspended,cohort1,course1,role1,group1\n")
	for i := range 15_000 {
		fmt.Fprintf(&data, "pupil%05d,Test1234!,Pupil%05d,Müller,p%05d@school.example,manual,S%05d,Maple,Year %d,Berlin,DE,de,%d,year%d,MATH%d,student,%dA\n",
			i, i, i, i, i%6+7, i%50/49, i%6+7, i%6+7, i%6+7)
	}
	var worst time.Duration
	var peak uint64
	for range b.N {
		var p *app.ImportPreview
		var err error
		start := time.Now()
		pk := heapPeak(func() {
			var f *app.ImportFile
			f, err = roster.Read(bytes.NewReader(data.Bytes()), "moodle.csv", int64(data.Len()), roster.DefaultLimits)
			if err == nil {
				p, err = a.PreviewImport(ctx, o.Slug, f, app.ImportOptions{CreateGroups: true, ReplaceBadPasswords: true})
			}
		})
		el := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if p.File.Layout != roster.LayoutMoodle || p.Create+p.Warnings+p.Skipped != 15_000 || p.Errors != 0 {
			b.Fatalf("preview: %s, %d+%d to create, %d left out, %d errors", p.File.Layout, p.Create, p.Warnings, p.Skipped, p.Errors)
		}
		worst, peak = max(worst, el), max(peak, pk)
	}
	b.ReportMetric(worst.Seconds(), "s/preview")
	b.ReportMetric(float64(peak)/(1<<20), "MB-peak-heap")
	b.Logf("preview of a 15,000-row Moodle file (%.1f MB): %v (target < 0.5 s, ratio %.2f), peak heap %d MB (target < 100 MB, ratio %.2f)",
		float64(data.Len())/(1<<20), worst.Round(time.Millisecond), worst.Seconds()/0.5, peak>>20, float64(peak)/(100<<20))
}

// BenchmarkImportPreviewOneRoster reads a OneRoster 1.1 bundle of 20,000
// users and 60,000 enrollments (as a .zip) and previews it. Target (issue
// 12): < 1 s; printed, not asserted.
func BenchmarkImportPreviewOneRoster(b *testing.B) {
	ctx := context.Background()
	a := apptest.New(b).App
	o := mustOrg(b, a, &app.Organization{Name: "Maple"})
	var users, classes, enrollments bytes.Buffer
	users.WriteString("sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n")
	classes.WriteString("sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n")
	enrollments.WriteString("sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n")
	const nUsers, nClasses = 20_000, 600
	for c := range nClasses {
		fmt.Fprintf(&classes, "c%d,,,Class %d,,,C%d,scheduled,,org-1,,,,\n", c, c, c)
	}
	for i := range nUsers {
		role := "student"
		if i%25 == 0 {
			role = "teacher"
		}
		fmt.Fprintf(&users, "u%d,,,true,org-1,%s,user%05d,,Given%05d,Family,,%d,,,,,,\n", i, role, i, i, i)
		for k := range 3 {
			fmt.Fprintf(&enrollments, "e%d-%d,,,c%d,org-1,u%d,%s,false,,\n", i, k, (i*3+k)%nClasses, i, role)
		}
	}
	files := []roster.File{
		{Name: "manifest.csv", Data: []byte("propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n")},
		{Name: "users.csv", Data: users.Bytes()}, {Name: "classes.csv", Data: classes.Bytes()},
		{Name: "enrollments.csv", Data: enrollments.Bytes()},
	}
	var worst time.Duration
	var peak uint64
	for range b.N {
		var p *app.ImportPreview
		var err error
		start := time.Now()
		pk := heapPeak(func() {
			var f *app.ImportFile
			f, err = roster.ReadFiles(files, roster.DefaultLimits)
			if err == nil {
				p, err = a.PreviewImport(ctx, o.Slug, f, app.ImportOptions{CreateGroups: true})
			}
		})
		el := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if p.Create+p.Warnings != nUsers || len(p.MissingGroups) != nClasses {
			b.Fatalf("preview: %d+%d to create, %d errors, %d groups", p.Create, p.Warnings, p.Errors, len(p.MissingGroups))
		}
		worst, peak = max(worst, el), max(peak, pk)
	}
	b.ReportMetric(worst.Seconds(), "s/preview")
	b.ReportMetric(float64(peak)/(1<<20), "MB-peak-heap")
	b.Logf("preview of a OneRoster bundle, 20,000 users and 60,000 enrollments: %v (target < 1 s, ratio %.2f), peak heap %d MB",
		worst.Round(time.Millisecond), worst.Seconds(), peak>>20)
}
