package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// dockerfile is the parsed Dockerfile at the repository root.
type dockerfile struct {
	stages []instructions.Stage
	escape rune
}

func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("parse Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile: %s (line %d)", w.Short, w.Location.Start.Line)
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatalf("Dockerfile instructions: %v", err)
	}
	return dockerfile{stages: stages, escape: res.EscapeToken}
}

// goBuild is the `go build` command of the Dockerfile's build stage.
type goBuild struct {
	stage int      // index of the stage that runs it
	cmd   int      // index of the RUN command in that stage
	env   []string // VAR=value set for it: stage ENV, then inline assignments
	args  []string // arguments after "go build"
}

// findGoBuild finds the RUN line that runs `go build` and splits it into
// words as the shell would, with the build arguments in buildArgs.
func (d dockerfile) findGoBuild(t *testing.T, buildArgs map[string]string) goBuild {
	t.Helper()
	var vars []string
	for k, v := range buildArgs {
		vars = append(vars, k+"="+v)
	}
	lex := shell.NewLex(d.escape)
	for si, st := range d.stages {
		var stageEnv []string
		for ci, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					stageEnv = append(stageEnv, kv.Key+"="+kv.Value)
				}
			case *instructions.RunCommand:
				line := strings.Join(c.CmdLine, " ")
				if !strings.Contains(line, "go build") {
					continue
				}
				words, err := lex.ProcessWords(line, shell.EnvsFromSlice(append(slices.Clone(stageEnv), vars...)))
				if err != nil {
					t.Fatalf("split RUN %q: %v", line, err)
				}
				gb := goBuild{stage: si, cmd: ci, env: stageEnv}
				start := 0 // first word of the simple command holding "go build"
				for i := 0; i+1 < len(words); i++ {
					switch words[i] {
					case "&&", "||", ";", "|":
						start = i + 1
						continue
					}
					if words[i] != "go" || words[i+1] != "build" {
						continue
					}
					for _, w := range words[start:i] {
						if !strings.Contains(w, "=") {
							t.Fatalf("RUN %q: %q before go build is not VAR=value", line, w)
						}
						gb.env = append(gb.env, w)
					}
					for _, w := range words[i+2:] {
						if w == "&&" || w == "||" || w == ";" || w == "|" {
							break
						}
						gb.args = append(gb.args, w)
					}
					return gb
				}
				t.Fatalf("RUN %q: no `go build` command in it", line)
			}
		}
	}
	t.Fatal("Dockerfile: no RUN with go build")
	return goBuild{}
}

// envValue returns the last value of key in env.
func envValue(env []string, key string) (string, bool) {
	var v string
	var ok bool
	for _, kv := range env {
		if k, val, found := strings.Cut(kv, "="); found && k == key {
			v, ok = val, true
		}
	}
	return v, ok
}

// flagValue returns the value of a -flag value or -flag=value argument.
func flagValue(args []string, flag string) (string, bool) {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v, true
		}
	}
	return "", false
}

var (
	goImage      = regexp.MustCompile(`^golang:([0-9]+\.[0-9]+)(\.[0-9]+)?(-[a-z0-9.]+)?$`)
	goDirective  = regexp.MustCompile(`(?m)^go ([0-9]+\.[0-9]+)(\.[0-9]+)?\s*$`)
	rootUsers    = []string{"", "root", "0"}
	finalImageRe = regexp.MustCompile(`^gcr\.io/distroless/static(-debian[0-9]+)?:nonroot$`)
)

func TestDockerfile(t *testing.T) {
	d := parseDockerfile(t)
	if len(d.stages) < 2 {
		t.Fatalf("Dockerfile has %d stage(s); want a multi-stage build", len(d.stages))
	}
	for _, st := range d.stages {
		if strings.HasSuffix(st.BaseName, ":latest") || !strings.Contains(st.BaseName, ":") {
			t.Errorf("stage %q: base image %q is not pinned to a version", st.Name, st.BaseName)
		}
	}

	// Build stage.
	gb := d.findGoBuild(t, map[string]string{"VERSION": "1.2.3"})
	build := d.stages[gb.stage]
	m := goImage.FindStringSubmatch(build.BaseName)
	if m == nil {
		t.Errorf("build stage image = %q; want the official golang image with a pinned minor version", build.BaseName)
	} else if gomod, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil {
		t.Error(err)
	} else if g := goDirective.FindSubmatch(gomod); g == nil {
		t.Error("go.mod has no go directive")
	} else if string(g[1]) != m[1] {
		t.Errorf("build stage uses Go %s; go.mod says %s", m[1], g[0])
	}
	if v, ok := envValue(gb.env, "CGO_ENABLED"); !ok || v != "0" {
		t.Errorf("go build runs with CGO_ENABLED=%q; want 0", v)
	}
	if !slices.Contains(gb.args, "-trimpath") {
		t.Errorf("go build %q: no -trimpath", gb.args)
	}
	if ld, _ := flagValue(gb.args, "-ldflags"); !strings.Contains(ld, "-X main.version=1.2.3") {
		t.Errorf("go build -ldflags = %q; want -X main.version=$VERSION", ld)
	}
	if out, ok := flagValue(gb.args, "-o"); !ok || out == "" {
		t.Errorf("go build %q: no -o", gb.args)
	}

	// Modules are downloaded in a layer of their own, before the sources
	// are copied, so a source change does not download them again.
	var copyMod, download, copyAll = -1, -1, -1
	for i, c := range build.Commands[:gb.cmd] {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			if c.From != "" {
				continue
			}
			if slices.Contains(c.SourcePaths, "go.mod") && slices.Contains(c.SourcePaths, "go.sum") && !slices.Contains(c.SourcePaths, ".") {
				copyMod = i
			}
			if slices.Contains(c.SourcePaths, ".") {
				copyAll = i
			}
		case *instructions.RunCommand:
			if strings.Contains(strings.Join(c.CmdLine, " "), "go mod download") && download < 0 {
				download = i
			}
		}
	}
	if copyMod < 0 || download < copyMod || copyAll < download {
		t.Errorf("build stage order: COPY go.mod go.sum at %d, RUN go mod download at %d, COPY . at %d; want them in that order", copyMod, download, copyAll)
	}

	// Final stage.
	final := d.stages[len(d.stages)-1]
	if !finalImageRe.MatchString(final.BaseName) {
		t.Errorf("final image = %q; want gcr.io/distroless/static...:nonroot", final.BaseName)
	}
	var (
		user, entrypoint []string
		health           *instructions.HealthCheckCommand
		exposed          []string
		copiedBinary     bool
		finalEnv         []string
	)
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.RunCommand:
			t.Errorf("final stage runs %q; distroless has no shell", c.CmdLine)
		case *instructions.UserCommand:
			user = append(user, c.User)
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				t.Errorf("ENTRYPOINT %q is in shell form; want exec form (no shell in the image)", c.CmdLine)
			}
			entrypoint = c.CmdLine
		case *instructions.HealthCheckCommand:
			health = c
		case *instructions.ExposeCommand:
			exposed = append(exposed, c.Ports...)
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				finalEnv = append(finalEnv, kv.Key+"="+kv.Value)
			}
		case *instructions.CopyCommand:
			if c.From == build.Name && c.DestPath == "/listo" {
				copiedBinary = true
			}
		}
	}
	if len(user) == 0 {
		t.Error("final stage sets no USER")
	} else if u := user[len(user)-1]; slices.Contains(rootUsers, strings.Split(u, ":")[0]) {
		t.Errorf("final stage USER = %q; want a non-root user", u)
	} else if name := strings.Split(u, ":")[0]; name != "nonroot" && name != "65532" {
		t.Errorf("final stage USER = %q; want nonroot (65532), distroless's unprivileged user", u)
	}
	if !copiedBinary {
		t.Errorf("final stage does not COPY --from=%s the binary to /listo", build.Name)
	}
	if !slices.Contains(exposed, "8080") && !slices.Contains(exposed, "8080/tcp") {
		t.Errorf("EXPOSE %q; want 8080", exposed)
	}
	if !slices.Equal(entrypoint, []string{"/listo"}) {
		t.Errorf("ENTRYPOINT = %q; want [\"/listo\"]", entrypoint)
	}
	if health == nil {
		t.Error("final stage has no HEALTHCHECK")
	} else {
		if want := []string{"CMD", "/listo", "healthcheck"}; !slices.Equal(health.Health.Test, want) {
			t.Errorf("HEALTHCHECK test = %q; want %q", health.Health.Test, want)
		}
		if health.Health.Interval <= 0 || health.Health.Timeout <= 0 {
			t.Errorf("HEALTHCHECK interval %v, timeout %v; want both set", health.Health.Interval, health.Health.Timeout)
		}
	}
	// Inside a container the server must listen on every interface, and the
	// healthcheck finds it on PORT.
	for k, want := range map[string]string{"HOST": "0.0.0.0", "PORT": "8080", "ENV": "production"} {
		if got, _ := envValue(finalEnv, k); got != want {
			t.Errorf("final stage ENV %s = %q; want %q", k, got, want)
		}
	}
}
