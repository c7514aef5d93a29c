package models_test

import (
	"errors"
	"testing"

	"listo/models"
)

func TestPrecondition(t *testing.T) {
	cases := []struct {
		name    string
		p       models.Precondition
		version int
		want    bool
	}{
		{"zero value is no condition", models.Precondition{}, 7, true},
		{"no precondition", models.NoPrecondition(), 1, true},
		{"listed version", models.IfVersion(2, 3), 3, true},
		{"other version", models.IfVersion(2, 3), 4, false},
		{"required but empty never matches", models.IfVersion(), 1, false},
	}
	for _, c := range cases {
		if got := c.p.Allows(c.version); got != c.want {
			t.Errorf("%s: Allows(%d) = %v; want %v", c.name, c.version, got, c.want)
		}
		err := c.p.Check(c.version)
		if (err == nil) != c.want || (err != nil && !errors.Is(err, models.ErrPreconditionFailed)) {
			t.Errorf("%s: Check(%d) = %v", c.name, c.version, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got := models.NormalizeEmail("  Ann@Example.COM\t"); got != "ann@example.com" {
		t.Errorf("NormalizeEmail = %q; want ann@example.com", got)
	}
}

func TestTodoSortsStartWithTheDefault(t *testing.T) {
	if s := models.TodoSorts(); len(s) != 3 || s[0] != models.TodoSortOrder {
		t.Errorf("TodoSorts() = %v", s)
	}
}

func TestTextProblem(t *testing.T) {
	cases := []struct {
		kind, s string
		ok      bool
	}{
		{models.TextLine, "Ann Lee\tjr", true},
		{models.TextLine, "two\nlines", false},
		{models.TextLine, "  trimmed anyway \n", true},
		{models.TextTitle, "\u00a0\u3000", false},
		{models.TextTitle, "\v", false},
		{models.TextTitle, " a ", true},
		{models.TextMultiline, "two\nlines", true},
		{models.TextMultiline, "crlf\r\n", false},
		{models.TextLine, "nul\x00", false},
		{models.TextLine, "c1\u0085x", false},
		{models.TextLine, "del\x7f", false},
		{models.TextLine, "evil\u202egnp.exe", false},
		{models.TextLine, "iso\u2066late", false},
		{models.TextPlain, "rtl\u202e is fine in a password", true},
		{models.TextPlain, "but not\x00", false},
		{models.TextLine, "bad \xff utf-8", false},
		{models.TextLine, "ünïcødé and 漢字 and emoji 🙂", true},
	}
	for _, c := range cases {
		if got := models.TextProblem(c.kind, c.s); (got == "") != c.ok {
			t.Errorf("TextProblem(%q, %q) = %q; want ok=%v", c.kind, c.s, got, c.ok)
		}
	}
}
