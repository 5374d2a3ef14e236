package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// This file enforces the import rules of DESIGN §1, so that they cannot rot.

const (
	modulePath   = "github.com/coachbot/coachbot"
	goCmp        = "github.com/google/go-cmp/"
	yamlPkg      = "go.yaml.in/yaml/v3"
	envconfigPkg = "github.com/kelseyhightower/envconfig"
)

// listedPackage is the part of `go list -json` the rules need.
type listedPackage struct {
	ImportPath   string
	Dir          string
	Name         string
	Standard     bool
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// goList runs `go list -e -deps -json ./...` at the module root.
func goList(t *testing.T, root string) []listedPackage {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goTool, "list", "-e", "-deps", "-json", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func ours(path string) bool { return path == modulePath || strings.HasPrefix(path, modulePath+"/") }

// rel names one of our packages by its place in the tree: "bot/bottest".
func rel(path string) string {
	if path == modulePath {
		return "."
	}
	return strings.TrimPrefix(path, modulePath+"/")
}

// adapterOf returns X for adapters/X and anything below it, else "".
func adapterOf(r string) string {
	rest, ok := strings.CutPrefix(r, "adapters/")
	if !ok {
		return ""
	}
	x, _, _ := strings.Cut(rest, "/")
	return x
}

// checkImports applies DESIGN §1 to the packages go list reported and
// returns one line per violation, naming the package and what it imports.
func checkImports(pkgs []listedPackage) []string {
	std := map[string]bool{}
	for _, p := range pkgs {
		std[p.ImportPath] = p.Standard
	}
	isStd := func(path string) bool {
		if s, ok := std[path]; ok {
			return s
		}
		// Not among the listed deps (a test-only import): the standard
		// library is what has no dot in its first element.
		first, _, _ := strings.Cut(path, "/")
		return !strings.Contains(first, ".") && path != "C"
	}
	of := func(rs ...string) map[string]bool {
		m := map[string]bool{}
		for _, r := range rs {
			m[modulePath+"/"+r] = true
		}
		return m
	}
	core := of("bot", "content")
	coreTest := of("bot", "content", "bot/bottest", "bot/storetest")
	imports := map[string][]string{}
	for _, p := range pkgs {
		imports[p.ImportPath] = p.Imports
	}

	var bad []string
	report := func(p listedPackage, kind, imp, rule string) {
		bad = append(bad, fmt.Sprintf("%s %simports %s: %s (DESIGN §1)", rel(p.ImportPath), kind, imp, rule))
	}
	for _, p := range pkgs {
		if !ours(p.ImportPath) {
			continue
		}
		r := rel(p.ImportPath)
		tests := slices.Concat(p.TestImports, p.XTestImports)
		type importSet struct {
			kind    string // "" or "(in tests) "
			imports []string
		}
		sets := []importSet{{"", p.Imports}, {"(in tests) ", tests}}

		for _, s := range sets {
			for _, imp := range s.imports {
				if imp == envconfigPkg && r != "cmd/coachbot" {
					report(p, s.kind, imp, "only cmd/coachbot reads the environment, so only it may use envconfig")
				}
				if s.kind == "" && imp == "flag" && !strings.HasPrefix(r, "cmd/") {
					report(p, s.kind, imp, "only cmd/coachbot reads flags")
				}
				if ours(imp) && strings.HasPrefix(rel(imp), "cmd/") {
					report(p, s.kind, imp, "nothing imports a command")
				}
				if s.kind == "" && ours(imp) && isTestHelper(rel(imp)) && !isTestHelper(r) && r != "bot" { // bot has its stricter rule below
					report(p, s.kind, imp, "test-helper packages are linked into tests only")
				}
			}
		}

		switch a := adapterOf(r); {
		case r == "bot":
			for _, s := range sets {
				for _, imp := range s.imports {
					// go-fsrs is a pure algorithm with no I/O: DESIGN §1 names it.
					ok := isStd(imp) || core[imp] || imp == fsrsPkg || s.kind != "" && (coreTest[imp] || strings.HasPrefix(imp, goCmp))
					if !ok {
						report(p, s.kind, imp, "bot may import only the standard library, content and go-fsrs")
					}
				}
			}
			// The standard library is allowed, but not its HTTP: that is
			// the adapters' (adapters/internal/webhook). Checked through
			// every dependency, since content or a std package could bring
			// it in as well.
			if chain := importChain(imports, p.ImportPath, noHTTP); chain != nil {
				via := ""
				if len(chain) > 2 {
					via = " through " + strings.Join(chain[1:len(chain)-1], " → ")
				}
				bad = append(bad, fmt.Sprintf("bot imports %s%s: the core holds no HTTP; it belongs in adapters/internal/webhook (DESIGN §1)", chain[len(chain)-1], via))
			}
		case strings.HasPrefix(r, "adapters/internal/"):
			// Shared by the adapters, so it must not lean on any one of
			// them or on a platform SDK. A new dependency (say, an image
			// library for the progress card) is added here on purpose:
			// x/time/rate limits the log lines of refused requests;
			// x/image draws the progress card (adapters/internal/card).
			for _, s := range sets {
				for _, imp := range s.imports {
					ok := isStd(imp) || core[imp] || strings.HasPrefix(rel(imp), "adapters/internal/") && ours(imp) || imp == "golang.org/x/time/rate" ||
						r == "adapters/internal/card" && strings.HasPrefix(imp, "golang.org/x/image/") ||
						s.kind != "" && (coreTest[imp] || strings.HasPrefix(imp, goCmp))
					if !ok {
						report(p, s.kind, imp, r+" may import only the standard library, bot, content and adapters/internal/...")
					}
				}
			}
		case r == "bot/bottest" || r == "bot/storetest":
			for _, s := range sets {
				for _, imp := range s.imports {
					if !isStd(imp) && !coreTest[imp] && !strings.HasPrefix(imp, goCmp) {
						report(p, s.kind, imp, r+" may import only the standard library, bot, content, bot/bottest, bot/storetest and go-cmp")
					}
				}
			}
		case r == "content":
			for _, s := range sets {
				for _, imp := range s.imports {
					ok := isStd(imp) || imp == yamlPkg || s.kind != "" && (imp == p.ImportPath || strings.HasPrefix(imp, goCmp))
					if !ok {
						report(p, s.kind, imp, "content may import only the standard library and "+yamlPkg)
					}
				}
			}
		case a != "":
			for _, s := range sets {
				for _, imp := range s.imports {
					if b := adapterOf(rel(imp)); ours(imp) && b != "" && b != a && b != "internal" {
						report(p, s.kind, imp, "an adapter never imports another adapter")
					}
				}
			}
		case strings.HasPrefix(r, "cmd/"):
			// A command may import everything in the module.
		default:
			bad = append(bad, fmt.Sprintf("%s is not a package of the DESIGN §1 layout: add it there and to this test's rules", r))
		}
	}
	return bad
}

// noHTTP reports the packages the core must not depend on: net/http and
// everything below it (httptest, httptrace, …).
func noHTTP(path string) bool { return path == "net/http" || strings.HasPrefix(path, "net/http/") }

// importChain returns a shortest chain of imports from the package from to
// one that bad reports, both ends included, or nil if there is none. It
// follows what go list reported, so only non-test imports.
func importChain(imports map[string][]string, from string, bad func(string) bool) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, imp := range imports[p] {
			if _, seen := prev[imp]; seen {
				continue
			}
			prev[imp] = p
			if bad(imp) {
				chain := []string{imp}
				for q := p; q != ""; q = prev[q] {
					chain = append(chain, q)
				}
				slices.Reverse(chain)
				return chain
			}
			queue = append(queue, imp)
		}
	}
	return nil
}

// fsrsPkg is the one third-party library bot may import (DESIGN §1).
const fsrsPkg = "github.com/open-spaced-repetition/go-fsrs/v3"

func TestImportRules(t *testing.T) {
	root := moduleRoot(t)
	pkgs := goList(t, root)
	n := 0
	for _, p := range pkgs {
		if !ours(p.ImportPath) {
			continue
		}
		n++
		if p.Error != nil {
			t.Errorf("go list: %s: %s", rel(p.ImportPath), p.Error.Err)
		}
	}
	// A go list that saw none of the core would make every rule pass.
	for _, want := range []string{"bot", "content", "adapters/console", "cmd/coachbot"} {
		if !slices.ContainsFunc(pkgs, func(p listedPackage) bool { return p.ImportPath == modulePath+"/"+want }) {
			t.Fatalf("go list did not report %s; the rules would check nothing", want)
		}
	}
	for _, v := range checkImports(pkgs) {
		t.Error(v)
	}
	t.Logf("checked the imports of %d packages", n)
}

// TestCheckImportsCatches feeds the rules made-up packages that break
// them, so that a rule which never fires cannot pass for a working one.
func TestCheckImportsCatches(t *testing.T) {
	pkg := func(r string, imports ...string) listedPackage {
		return listedPackage{ImportPath: modulePath + "/" + r, Imports: imports}
	}
	m := func(r string) string { return modulePath + "/" + r }
	stdPkgs := []listedPackage{{ImportPath: "context", Standard: true}, {ImportPath: "fmt", Standard: true}}
	tests := []struct {
		name string
		pkg  listedPackage
		want string // "" for none
	}{
		{"bot on std and content", pkg("bot", "context", "fmt", m("content")), ""},
		{"bot imports net/http", pkg("bot", "context", "net/http"), "bot imports net/http: the core holds no HTTP"},
		{"bot imports httptest", pkg("bot", "net/http/httptest"), "bot imports net/http/httptest:"},
		{"bot tests use httptest", listedPackage{ImportPath: m("bot"), XTestImports: []string{m("bot"), "net/http/httptest", "testing"}}, ""},
		{"adapter imports adapters/internal", pkg("adapters/slack", m("bot"), m("adapters/internal/webhook"), "github.com/slack-go/slack"), ""},
		{"adapters/internal on std and bot", pkg("adapters/internal/webhook", "net/http", m("bot")), ""},
		{"adapters/internal tests use bottest and go-cmp", listedPackage{ImportPath: m("adapters/internal/webhook"), XTestImports: []string{m("adapters/internal/webhook"), m("bot/bottest"), "github.com/google/go-cmp/cmp"}}, ""},
		{"the card renderer on x/image", pkg("adapters/internal/card", m("bot"), "golang.org/x/image/font/opentype"), ""},
		{"another adapters/internal package on x/image", pkg("adapters/internal/webhook", "golang.org/x/image/font"), "adapters/internal/webhook imports golang.org/x/image/font"},
		{"adapters/internal imports an SDK", pkg("adapters/internal/webhook", "github.com/slack-go/slack"), "adapters/internal/webhook imports github.com/slack-go/slack"},
		{"adapters/internal imports an adapter", pkg("adapters/internal/webhook", m("adapters/discord")), "adapters/internal/webhook imports " + m("adapters/discord")},
		{"bot imports an adapter", pkg("bot", "context", m("adapters/boltstore")), "bot imports " + m("adapters/boltstore")},
		{"bot imports a platform SDK", pkg("bot", "github.com/bwmarrin/discordgo"), "bot imports github.com/bwmarrin/discordgo"},
		{"bot imports go-redis", pkg("bot", "github.com/redis/go-redis/v9"), "bot imports github.com/redis/go-redis/v9"},
		{"bot imports bottest outside tests", pkg("bot", m("bot/bottest")), "bot imports " + m("bot/bottest")},
		{"bot tests use bottest and go-cmp", listedPackage{ImportPath: m("bot"), XTestImports: []string{m("bot"), m("bot/bottest"), "github.com/google/go-cmp/cmp", "testing"}}, ""},
		{"bot tests use an adapter", listedPackage{ImportPath: m("bot"), TestImports: []string{m("adapters/console")}}, "bot (in tests) imports " + m("adapters/console")},
		{"bottest on bot and go-cmp", pkg("bot/bottest", m("bot"), m("content"), "github.com/google/go-cmp/cmp"), ""},
		{"an adapter links a test helper", pkg("adapters/boltstore", m("bot"), m("bot/bottest")), "adapters/boltstore imports " + m("bot/bottest")},
		{"storetest imports an adapter", pkg("bot/storetest", m("bot"), m("adapters/redisstore")), "bot/storetest imports " + m("adapters/redisstore")},
		{"content on yaml", pkg("content", "fmt", yamlPkg), ""},
		{"content imports bot", pkg("content", m("bot")), "content imports " + m("bot")},
		{"content imports another yaml", pkg("content", "gopkg.in/yaml.v2"), "content imports gopkg.in/yaml.v2"},
		{"adapter on bot and its SDK", pkg("adapters/slack", m("bot"), "github.com/slack-go/slack"), ""},
		{"adapter imports another adapter", pkg("adapters/slack", m("bot"), m("adapters/console")), "adapters/slack imports " + m("adapters/console")},
		{"adapter subpackage imports another adapter", pkg("adapters/redisstore/internal/lua", m("adapters/boltstore")), "adapters/redisstore/internal/lua imports " + m("adapters/boltstore")},
		{"adapter imports its own subpackage", pkg("adapters/redisstore", m("adapters/redisstore/internal/lua")), ""},
		{"adapter tests import another adapter", listedPackage{ImportPath: m("adapters/discord"), TestImports: []string{m("adapters/slack")}}, "adapters/discord (in tests) imports " + m("adapters/slack")},
		{"adapter uses envconfig", pkg("adapters/discord", envconfigPkg), "adapters/discord imports " + envconfigPkg},
		{"adapter reads flags", pkg("adapters/console", "flag"), "adapters/console imports flag"},
		{"adapter tests read flags", listedPackage{ImportPath: m("adapters/console"), TestImports: []string{"flag"}}, ""},
		{"cmd uses envconfig", pkg("cmd/coachbot", envconfigPkg, m("adapters/console"), m("adapters/boltstore")), ""},
		{"a package outside the layout", pkg("internal/util", "fmt"), "internal/util is not a package of the DESIGN §1 layout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkImports(append([]listedPackage{tt.pkg}, stdPkgs...))
			if tt.want == "" {
				if len(got) != 0 {
					t.Errorf("violations %q, want none", got)
				}
				return
			}
			if len(got) != 1 || !strings.HasPrefix(got[0], tt.want) {
				t.Errorf("violations %q, want one starting %q", got, tt.want)
			}
		})
	}
}

// TestCheckImportsFollowsBotsDependencies: net/http is refused in bot
// through any chain of imports, and named with the chain.
func TestCheckImportsFollowsBotsDependencies(t *testing.T) {
	m := func(r string) string { return modulePath + "/" + r }
	pkg := func(path string, std bool, imports ...string) listedPackage {
		return listedPackage{ImportPath: path, Standard: std, Imports: imports}
	}
	tests := []struct {
		name string
		pkgs []listedPackage
		want []string // violations, by prefix
	}{
		{"through content and a std package", []listedPackage{
			pkg(m("bot"), false, "fmt", m("content")), pkg(m("content"), false, "expvar"),
			pkg("expvar", true, "net/http"), pkg("net/http", true), pkg("fmt", true),
		}, []string{"bot imports net/http through " + m("content") + " → expvar:"}},
		{"a std package that does not reach it", []listedPackage{
			pkg(m("bot"), false, "net/url"), pkg("net/url", true, "errors"), pkg("errors", true),
		}, nil},
		{"another package may", []listedPackage{
			pkg(m("bot"), false, "fmt"), pkg("fmt", true),
			pkg(m("adapters/internal/webhook"), false, m("bot"), "net/http"), pkg("net/http", true),
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkImports(tt.pkgs)
			if len(got) != len(tt.want) {
				t.Fatalf("violations %q, want %d starting %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("violation %q, want one starting %q", got[i], tt.want[i])
				}
			}
		})
	}
}

// envReaders are the functions that read the process environment.
var envReaders = map[string][]string{
	"os":      {"Getenv", "LookupEnv", "Environ", "ExpandEnv"},
	"syscall": {"Getenv", "Environ"},
}

// envReads returns "file:line: os.Getenv" for each call of an envReaders
// function in the Go source src.
func envReads(filename string, src []byte) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	names := map[string]string{} // local name -> package path
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if _, ok := envReaders[path]; !ok {
			continue
		}
		name := path
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = path
	}
	var found []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		if path, ok := names[id.Name]; ok && slices.Contains(envReaders[path], sel.Sel.Name) {
			found = append(found, fmt.Sprintf("%s: %s.%s", fset.Position(sel.Pos()), path, sel.Sel.Name))
		}
		return true
	})
	return found, nil
}

// isTestHelper reports whether a package of ours exists for tests only
// (bot/bottest, bot/storetest, adapters/redisstore/redistest): its last
// path element ends in "test".
func isTestHelper(rel string) bool {
	return strings.HasSuffix(path.Base(rel), "test")
}

// TestOnlyCmdReadsEnvironment scans every non-test Go file outside cmd/,
// build tags or not, for reads of the environment.
func TestOnlyCmdReadsEnvironment(t *testing.T) {
	root := moduleRoot(t)
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			// Test-helper packages (bottest, storetest, redistest) are linked
			// into tests only (TestTestHelpersStayInTests) and read the
			// COACH_TEST_ variables of DESIGN §8.
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
				path == filepath.Join(root, "cmd") || strings.HasSuffix(name, "test")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		reads, err := envReads(path, src)
		if err != nil {
			t.Errorf("%v", err)
			return nil
		}
		for _, r := range reads {
			t.Errorf("%s: only cmd/coachbot reads the environment (DESIGN §1); take the value as configuration instead", r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("found no Go files to scan")
	}
}

func TestEnvReadsCatches(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // the functions found, in order
	}{
		{"none", `package x; import "fmt"; func f() { fmt.Println("os.Getenv") }`, nil},
		{"getenv", `package x; import "os"; func f() string { return os.Getenv("HOME") }`, []string{"os.Getenv"}},
		{"lookup and environ", "package x\nimport \"os\"\nfunc f() { os.LookupEnv(\"A\"); _ = os.Environ() }", []string{"os.LookupEnv", "os.Environ"}},
		{"renamed import", `package x; import sys "os"; var v = sys.Getenv("A")`, []string{"os.Getenv"}},
		{"syscall", `package x; import "syscall"; var v, _ = syscall.Getenv("A")`, []string{"syscall.Getenv"}},
		{"expand", `package x; import "os"; var v = os.ExpandEnv("$HOME")`, []string{"os.ExpandEnv"}},
		{"method value", `package x; import "os"; var get = os.Getenv`, []string{"os.Getenv"}},
		{"other os functions", `package x; import "os"; func f() { os.Exit(1); os.Getwd() }`, nil},
		{"a local named os", `package x; type T struct{}; func (T) Getenv(string) string { return "" }; func f(os T) { os.Getenv("A") }`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := envReads("x.go", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			var fns []string
			for _, g := range got {
				fns = append(fns, g[strings.LastIndex(g, " ")+1:])
			}
			if !slices.Equal(fns, tt.want) {
				t.Errorf("envReads = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEveryPackageHasDocGo checks that each package of the module keeps its
// package comment, which says what it may import, in doc.go.
func TestEveryPackageHasDocGo(t *testing.T) {
	for _, p := range goList(t, moduleRoot(t)) {
		if !ours(p.ImportPath) || p.Dir == "" {
			continue
		}
		r := rel(p.ImportPath)
		path := filepath.Join(p.Dir, "doc.go")
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			t.Errorf("%s: every package has a doc.go with its package comment: %v", r, err)
			continue
		}
		if f.Doc == nil {
			t.Errorf("%s: doc.go has no package comment", r)
			continue
		}
		want := "Package " + f.Name.Name + " "
		if f.Name.Name == "main" {
			want = "Command " + filepath.Base(p.Dir) + " "
		}
		if doc := f.Doc.Text(); !strings.HasPrefix(doc, want) {
			t.Errorf("%s: doc.go's comment starts %q, want %q", r, firstLine(doc), want+"…")
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
