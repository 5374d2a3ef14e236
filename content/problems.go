package content

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a content pack, located precisely enough
// that its author can go straight to it.
type Problem struct {
	File    string // the pack file, such as "roadmap.yaml"
	Item    string // where in the file, such as `step "databases" / topic "sql" / resource 2`; empty for the file as a whole
	Message string // what is wrong, as a sentence fragment
}

// String renders the problem as one line in the form people know from
// compilers: file, then item, then message.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	b.WriteString(": ")
	if p.Item != "" {
		b.WriteString(p.Item)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is the error Load returns. It holds every problem found, not only
// the first, so that one run of `coachbot content check` lists all there is
// to fix.
type Problems []Problem

// Error renders one problem per line, ready to print as it is.
func (ps *Problems) Error() string {
	lines := make([]string, len(*ps))
	for i, p := range *ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps *Problems) add(file, item, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Item: item, Message: fmt.Sprintf(format, args...)})
}

// inFile reports whether any problem is in file.
func (ps Problems) inFile(file string) bool {
	for _, p := range ps {
		if p.File == file {
			return true
		}
	}
	return false
}
