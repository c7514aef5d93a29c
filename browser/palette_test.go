package browser_test

// The colour pairs of dist/assets/app.css, checked against WCAG 2.2 from
// the palette variables alone (no browser needed): text 4.5:1, large text
// 3:1, the parts of controls 3:1, in the light and the dark scheme. axe-core
// (a11y_test.go) checks what the screens actually draw; this test also
// covers the states it does not see (hover, the toasts, the badges).

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const appCSS = "../dist/assets/app.css"

// minimum contrast ratios (WCAG 1.4.3 and 1.4.11).
const (
	textMin    = 4.5
	largeMin   = 3.0 // 24 px, or 18.66 px bold
	controlMin = 3.0 // borders of inputs, check marks, focus rings
)

// pair is a foreground drawn on a background, both palette variables
// (without the leading --).
type pair struct {
	fg, bg string
	min    float64
	where  string
}

// palettePairs lists every foreground/background combination app.css uses.
var palettePairs = []pair{
	// Body text and headings.
	{"text", "bg", textMin, "body, .lead headings, page-of"},
	{"text", "surface", textMin, "cards, inputs, buttons, todo titles"},
	{"text", "surface-2", textMin, "footer, table head, theme switch"},
	{"text", "surface-3", textMin, "hovered buttons and links"},
	{"text", "warning-soft", textMin, "conflicts, banner, .notice-warning, a todo in conflict"},
	{"text-muted", "bg", textMin, ".lead, .boot, admin summary, pager"},
	{"text-muted", "surface", textMin, ".hint, .card-description, .user-email, quiet buttons"},
	{"text-muted", "surface-2", textMin, "footer text, filters, Clear completed, table head"},
	{"text-muted", "surface-3", textMin, ".badge, .due, disabled user's avatar"},
	{"text-muted", "warning-soft", textMin, ".conflict-mine, .resend-status in the banner"},
	{"text-faint", "bg", textMin, ".info hints, .sync"},
	{"text-faint", "surface", textMin, "completed todo, .optional, .details-stamp, device dt, placeholders, icon buttons"},
	{"text-faint", "surface-2", textMin, "completed todo waiting to be saved"},
	{"text-faint", "surface-3", textMin, "hovered icon button"},
	{"text-faint", "warning-soft", textMin, "completed todo in conflict"},
	// Accent.
	{"accent", "surface", textMin, "links"},
	{"accent", "bg", textMin, "links on the page background"},
	{"accent-heading", "bg", largeMin, "the todos heading (hero size)"},
	{"accent-strong", "surface", textMin, "hovered links"},
	{"accent-strong", "surface-2", textMin, "selected filter"},
	{"accent-strong", "accent-soft", textMin, ".notice, current nav link, badges, avatar, due today, selected theme"},
	{"on-accent", "accent", textMin, "primary button"},
	{"on-accent", "accent-strong", textMin, "hovered primary button"},
	// Danger, warning, success.
	{"danger", "surface", textMin, "field errors, danger-quiet buttons, danger card"},
	{"danger", "surface-2", textMin, "hovered Clear completed"},
	{"danger", "danger-soft", textMin, ".form-error, .outcome-error, badges, overdue"},
	{"on-danger", "danger", textMin, "danger button"},
	{"on-danger", "danger-strong", textMin, "hovered danger button"},
	{"warning", "warning-soft", textMin, ".badge-warning"},
	{"success", "surface", textMin, ".form-success"},
	{"success", "success-soft", textMin, ".badge-success, .outcome-success"},
	{"toast-text", "toast-bg", textMin, "status toast"},
	{"toast-error-text", "toast-error-bg", textMin, "error toast"},
	// Parts of controls (WCAG 1.4.11).
	{"border-control", "surface", controlMin, "input, select and checkbox borders"},
	{"border-control", "surface-2", controlMin, "theme switch border"},
	{"check", "surface", controlMin, "a checked checkbox"},
	{"#ffffff", "check", controlMin, "the check mark (icons/check.svg)"},
	{"focus", "bg", controlMin, "focus ring"},
	{"focus", "surface", controlMin, "focus ring"},
	{"focus", "surface-2", controlMin, "focus ring"},
}

// TestPaletteContrast checks every pair in both schemes and that the two
// dark blocks (chosen, and following the system) are the same.
func TestPaletteContrast(t *testing.T) {
	css, err := os.ReadFile(appCSS)
	if err != nil {
		t.Fatal(err)
	}
	light := cssVars(t, string(css), ":root {")
	dark := cssVars(t, string(css), `:root[data-theme="dark"] {`)
	system := cssVars(t, string(css), `:root:not([data-theme="light"]) {`)
	for name, v := range dark {
		if system[name] != v {
			t.Errorf("--%s: %q when chosen, %q when following the system; the dark blocks must be the same", name, v, system[name])
		}
	}
	for name := range system {
		if _, ok := dark[name]; !ok {
			t.Errorf("--%s is set only in the system's dark block", name)
		}
	}
	for _, scheme := range []struct {
		name string
		vars map[string]string
	}{{"light", light}, {"dark", withDefaults(dark, light)}} {
		for _, p := range palettePairs {
			fg, bg := color(t, scheme.vars, p.fg), color(t, scheme.vars, p.bg)
			ratio := contrast(fg, bg)
			line := fmt.Sprintf("%s: %s on %s = %.2f:1 (min %.1f; %s)", scheme.name, p.fg, p.bg, ratio, p.min, p.where)
			if ratio < p.min {
				t.Error(line)
			} else if testing.Verbose() {
				t.Log(line)
			}
		}
	}
}

// cssVars returns the custom properties of the block that opens with
// opener (name without the leading --).
func cssVars(t *testing.T, css, opener string) map[string]string {
	t.Helper()
	i := strings.Index(css, opener)
	if i < 0 {
		t.Fatalf("%s: no block %q", appCSS, opener)
	}
	body := css[i+len(opener):]
	body = body[:strings.Index(body, "}")]
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([\w-]+)\s*:\s*([^;]+);`).FindAllStringSubmatch(body, -1) {
		vars[m[1]] = strings.TrimSpace(m[2])
	}
	return vars
}

func withDefaults(vars, defaults map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range vars {
		out[k] = v
	}
	return out
}

// color resolves a variable name (or a #hex literal) to a hex colour.
func color(t *testing.T, vars map[string]string, name string) string {
	t.Helper()
	v := name
	for range 10 {
		if strings.HasPrefix(v, "#") {
			return v
		}
		if strings.HasPrefix(v, "var(--") {
			v = strings.TrimSuffix(strings.TrimPrefix(v, "var(--"), ")")
		}
		next, ok := vars[v]
		if !ok {
			t.Fatalf("--%s is not set", v)
		}
		v = next
	}
	t.Fatalf("--%s: too many indirections", name)
	return ""
}

// contrast is the WCAG contrast ratio of two #rgb or #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	h := strings.TrimPrefix(hex, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	channel := func(s string) float64 {
		n, err := strconv.ParseUint(s, 16, 8)
		if err != nil {
			panic(fmt.Sprintf("colour %q: %v", hex, err))
		}
		c := float64(n) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(h[0:2]) + 0.7152*channel(h[2:4]) + 0.0722*channel(h[4:6])
}
