package content

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The files of a pack, in the order their problems are reported.
const (
	roadmapFile  = "roadmap.yaml"
	skillsFile   = "skills.yaml"
	careerFile   = "career.yaml"
	salariesFile = "salaries.yaml"
	tipsFile     = "tips.yaml"
)

// The shape of each file: one top-level key holding a list.
type (
	roadmapDoc struct {
		Steps []Step `yaml:"steps"`
	}
	skillsDoc struct {
		Skills []Skill `yaml:"skills"`
	}
	careerDoc struct {
		Levels []Level `yaml:"levels"`
	}
	salariesDoc struct {
		Tables []SalaryTable `yaml:"tables"`
	}
	tipsDoc struct {
		Tips []Tip `yaml:"tips"`
	}
)

// LoadDir loads and validates the pack in dir, which holds the same five
// files as the embedded pack. It exists for COACH_CONTENT_DIR and
// `coachbot content check DIR`.
func LoadDir(dir string) (*Pack, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &Problems{{File: dir, Message: "directory does not exist"}}
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &Problems{{File: dir, Message: err.Error()}}
	case !info.IsDir():
		return nil, &Problems{{File: dir, Message: "not a directory"}}
	}
	return Load(os.DirFS(dir))
}

// Load reads the five pack files from fsys, decodes them strictly (an unknown
// field is a problem, since it is almost always a typo that would otherwise
// silently drop content) and validates the result. Any problem makes it return
// a nil Pack and a *Problems listing everything found.
func Load(fsys fs.FS) (*Pack, error) {
	var (
		ps       Problems
		roadmap  roadmapDoc
		skills   skillsDoc
		career   careerDoc
		salaries salariesDoc
		tips     tipsDoc
	)
	roadmapOK, roadmapRoot := decodeFile(fsys, roadmapFile, &roadmap, &ps)
	skillsOK, _ := decodeFile(fsys, skillsFile, &skills, &ps)
	careerOK, _ := decodeFile(fsys, careerFile, &career, &ps)
	salariesOK, _ := decodeFile(fsys, salariesFile, &salaries, &ps)
	tipsOK, _ := decodeFile(fsys, tipsFile, &tips, &ps)

	p := &Pack{
		Steps:    roadmap.Steps,
		Skills:   skills.Skills,
		Levels:   career.Levels,
		Salaries: salaries.Tables,
		Tips:     tips.Tips,
	}
	trimStrings(reflect.ValueOf(p).Elem())

	// A file that could not be read or parsed has already been reported;
	// validating its empty remains would only add noise.
	if roadmapOK {
		validateRoadmap(p.Steps, &ps)
	}
	// Questions name steps and topics: checked against a roadmap with
	// problems (a step dropped by a duplicate key, a topic renamed), every
	// question of it would be reported too.
	if roadmapOK && !ps.inFile(roadmapFile) {
		p.Questions = loadQuiz(fsys, p.Steps, &ps)
	}
	if skillsOK {
		// Skills refer to steps by id. Without a usable roadmap there is
		// nothing to check them against; and a step that failed to decode
		// (a duplicate key drops it) still counts as written, so that one
		// mistake is not reported once per skill that mentions it.
		var stepIDs map[string]bool
		if roadmapOK {
			stepIDs = map[string]bool{}
			for _, s := range p.Steps {
				stepIDs[s.ID] = true
			}
			for _, id := range listIDs(roadmapRoot, "steps") {
				stepIDs[id] = true
			}
		}
		validateSkills(p.Skills, stepIDs, &ps)
	}
	if careerOK {
		// Levels name their salary bands; without a usable salaries file
		// there is nothing to check those names against.
		var tables []SalaryTable
		if salariesOK {
			tables = p.Salaries
		}
		validateLevels(p, tables, &ps)
	}
	if salariesOK {
		validateSalaries(p.Salaries, &ps)
	}
	if tipsOK {
		validateTips(p.Tips, &ps)
	}
	if len(ps) > 0 {
		return nil, &ps
	}
	return p, nil
}

// decodeFile decodes one file into out, reporting problems into ps. It
// returns false when the file's content is unusable (missing, unreadable or
// not YAML); type errors and unknown fields leave the rest usable. After such
// errors it also returns the file's node tree, which still holds what the
// decoder dropped.
func decodeFile(fsys fs.FS, name string, out any, ps *Problems) (ok bool, root *yaml.Node) {
	data, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		ps.add(name, "", "file is missing")
		return false, nil
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		ps.add(name, "", "cannot read: %v", err)
		return false, nil
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err = dec.Decode(out)
	var te *yaml.TypeError
	switch {
	case err == nil, errors.Is(err, io.EOF): // an empty file: validation says what is missing
	case errors.As(err, &te):
		root = new(yaml.Node)
		_ = yaml.Unmarshal(data, root) // it parsed once already
		for _, msg := range te.Errors {
			line, msg := rewriteTypeError(msg)
			ps.add(name, itemAt(root, line), "%s", msg)
		}
	default:
		ps.add(name, "", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return false, nil
	}
	if err == nil {
		var extra yaml.Node
		switch err := dec.Decode(&extra); {
		case errors.Is(err, io.EOF):
		case err == nil:
			ps.add(name, "", "line %d: a file holds one YAML document; this is a second one", extra.Line)
		default:
			ps.add(name, "", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
	}
	return true, root
}

// listIDs returns the ids written in the top-level list of a file's node
// tree; nil for a nil tree.
func listIDs(root *yaml.Node, list string) []string {
	if root == nil || root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	var ids []string
	for _, el := range valueAt(root.Content[0], list).Content {
		if id := scalarAt(el, idKey(list)); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// valueAt returns the value of key in mapping n, or an empty node.
func valueAt(n *yaml.Node, key string) *yaml.Node {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	}
	return &yaml.Node{}
}

// The field name and the value a message quotes may span lines (a quoted
// "a\nb"), hence (?s); the tag may be a custom one ("!foo").
var (
	unknownFieldRE = regexp.MustCompile(`(?s)^line (\d+): field (.+) not found in type \S+$`)
	mismatchRE     = regexp.MustCompile("(?s)^line (\\d+): cannot unmarshal (\\S+)(?: `(.*)`)? into (\\S+)$")
	lineRE         = regexp.MustCompile(`^line (\d+): `)
)

// rewriteTypeError turns a yaml.v3 decoding message, which speaks of Go
// types, into one a content author understands, and returns its line.
func rewriteTypeError(msg string) (int, string) {
	if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, fmt.Sprintf("line %d: unknown field %q", line, m[2])
	}
	if m := mismatchRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		var found string
		switch m[2] {
		case "!!seq":
			found = "a list"
		case "!!map":
			found = "a mapping"
		default:
			found = strconv.Quote(m[3])
		}
		return line, fmt.Sprintf("line %d: expected %s, found %s", line, describeType(m[4]), found)
	}
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, msg
	}
	return 0, msg
}

func describeType(goType string) string {
	switch {
	case goType == "int":
		return "a whole number"
	case goType == "float64":
		return "a number"
	case goType == "string":
		return "text"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "content."):
		return "a mapping"
	}
	return goType
}

// listLabels names an item of each list in a pack, for Problem.Item.
var listLabels = map[string]string{
	"steps":     "step",
	"topics":    "topic",
	"resources": "resource",
	"skills":    "skill",
	"levels":    "level",
	"tables":    "table",
	"bands":     "band",
	"tips":      "tip",
	"questions": "question",
}

// nestedLabels are the mappings within an item that get their own segment in
// Problem.Item.
var nestedLabels = map[string]bool{"project": true, "weeks": true, "years": true, "source": true}

// label names the item at index i of list: by its id where it has one, since
// that is what the author searches for, else by its 1-based position.
func label(list, id string, i int) string {
	if id != "" && list != "resources" {
		return fmt.Sprintf("%s %q", listLabels[list], id)
	}
	return fmt.Sprintf("%s %d", listLabels[list], i+1)
}

func idKey(list string) string {
	if list == "bands" {
		return "level"
	}
	return "id"
}

func path(segs ...string) string { return strings.Join(segs, " / ") }

// itemAt returns the Problem.Item of whatever is on line of a parsed file, so
// that decoding errors, which only know lines, name the item like
// validation does.
func itemAt(root *yaml.Node, line int) string {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	var segs []string
	for n.Kind == yaml.MappingNode && line > 0 {
		k := -1
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Line <= line {
				k = i
			}
		}
		if k < 0 {
			break
		}
		key, val := n.Content[k].Value, n.Content[k+1]
		switch {
		case listLabels[key] != "" && val.Kind == yaml.SequenceNode:
			j := -1
			for i, el := range val.Content {
				if el.Line <= line {
					j = i
				}
			}
			if j < 0 {
				return path(segs...)
			}
			el := val.Content[j]
			segs = append(segs, label(key, scalarAt(el, idKey(key)), j))
			n = el
		case nestedLabels[key] && val.Kind == yaml.MappingNode:
			segs = append(segs, key)
			n = val
		default:
			return path(segs...)
		}
	}
	return path(segs...)
}

// scalarAt returns the scalar value of key in mapping n, or "".
func scalarAt(n *yaml.Node, key string) string {
	if v := valueAt(n, key); v.Kind == yaml.ScalarNode {
		return strings.TrimSpace(v.Value)
	}
	return ""
}

// trimStrings trims the spaces around every string in v: YAML block scalars
// (`>`, `|`) end in a newline the author did not mean to show.
func trimStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(strings.TrimSpace(v.String()))
	case reflect.Struct:
		for i := range v.NumField() {
			trimStrings(v.Field(i))
		}
	case reflect.Slice:
		for i := range v.Len() {
			trimStrings(v.Index(i))
		}
	}
}
