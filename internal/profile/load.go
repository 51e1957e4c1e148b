package profile

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// Decode parses one profile document strictly. file names it in messages.
// Every unknown field is reported (with its line), then the profile is
// validated; all problems come back together in one *ValidationError.
func Decode(file string, data []byte) (*Profile, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		se := Syntax(err)
		return nil, &ValidationError{Problems: []Problem{{File: file, Line: se.Line, Column: se.Column, Message: "not valid YAML: " + se.Message}}}
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, &ValidationError{Problems: []Problem{{File: file, Message: "empty document: a profile starts with apiVersion: " + APIVersion + " and kind: " + Kind}}}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, &ValidationError{Problems: []Problem{{File: file, Line: doc.Line, Message: "a profile is a YAML mapping, got " + nodeKind(doc)}}}
	}
	// Dispatch on apiVersion/kind before anything else: an unknown kind
	// would otherwise drown in unknown-field errors.
	apiVersion, kind := scalar(doc, "apiVersion"), scalar(doc, "kind")
	if apiVersion != APIVersion || kind != Kind {
		return nil, &ValidationError{Problems: []Problem{{File: file, Line: doc.Line, Field: "apiVersion",
			Message: fmt.Sprintf("unsupported apiVersion %q and kind %q: this slipway reads apiVersion: %s, kind: %s", Excerpt(apiVersion), Excerpt(kind), APIVersion, Kind)}}}
	}
	var problems []Problem
	unknownFields(doc, reflect.TypeOf(Profile{}), "", func(line int, field, msg string) {
		problems = append(problems, Problem{File: file, Line: line, Field: field, Message: msg})
	})
	var p Profile
	if err := doc.Decode(&p); err != nil {
		problems = append(problems, Problem{File: file, Message: strings.TrimPrefix(err.Error(), "yaml: ")})
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	p.File = file
	p.ApplyDefaults()
	if err := p.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			for i, pr := range ve.Problems {
				if pr.Line == 0 && pr.Field != "" {
					ve.Problems[i].Line = lineOf(doc, pr.Field)
				}
			}
		}
		return nil, err
	}
	return &p, nil
}

// lineOf is the line of the key a field path like components[1].chart.version
// names in the document, or 0 when the path is not all there (a required
// field left out): the message then names the field alone.
func lineOf(doc *yaml.Node, field string) int {
	n, line := doc, 0
	for _, part := range strings.Split(field, ".") {
		key, rest, _ := strings.Cut(part, "[")
		var found bool
		if n, found = lookup(n, key); !found {
			return 0
		}
		line = n.Line
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			i, err := strconv.Atoi(idx)
			if !ok || err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				return 0
			}
			n, line = n.Content[i], n.Content[i].Line
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return line
}

// lookup is the value of key in mapping m; the returned node carries the
// key's line, where a reader looks for it.
func lookup(m *yaml.Node, key string) (*yaml.Node, bool) {
	if m.Kind != yaml.MappingNode {
		return nil, false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := *m.Content[i+1]
			v.Line = m.Content[i].Line
			return &v, true
		}
	}
	return nil, false
}

func scalar(m *yaml.Node, key string) string {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.ScalarNode {
			return m.Content[i+1].Value
		}
	}
	return ""
}

// nodeKind names what a document is instead of a mapping. A scalar is
// not quoted: a file that is not a profile at all (a token file,
// /etc/passwd) is one scalar, and its content must not reach the error.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "plain text (not shown): is this a profile file?"
	}
	return "something else"
}

// excerptMax is how much of a value read from a file an error may quote.
const excerptMax = 24

// Excerpt shortens a value read from a file for an error message: at most
// excerptMax bytes (cut at a rune boundary) and "…". Messages quote values
// so the reader can find them; the position beside it says where the rest
// is. A longer value is more likely a secret pasted in the wrong file
// than a typo, and errors end up in CI logs.
func Excerpt(s string) string {
	if len(s) <= excerptMax {
		return s
	}
	cut := excerptMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// unknownFields walks a YAML node alongside the Go type it decodes into and
// reports every mapping key that names no field, with its path and line.
// Free-form maps (values) are not walked.
func unknownFields(n *yaml.Node, t reflect.Type, path string, report func(line int, field, msg string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f.Type
			names = append(names, tag)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			ft, ok := fields[key.Value]
			if !ok {
				report(key.Line, join(path, Excerpt(key.Value)), fmt.Sprintf("unknown field %q%s (known: %s)", Excerpt(key.Value), suggest(key.Value, names), strings.Join(names, ", ")))
				continue
			}
			unknownFields(val, ft, join(path, key.Value), report)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			unknownFields(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), report)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest returns `, did you mean "x"?` for a near miss.
func suggest(got string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := distance(strings.ToLower(got), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(", did you mean %q?", best)
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// SyntaxError is a YAML syntax error with its position (1-based; 0 when
// the parser did not say).
type SyntaxError struct {
	Line, Column int
	Message      string // without position, e.g. "did not find expected key"
}

func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// Syntax turns an error of the YAML parser into a *SyntaxError, keeping the
// line and column of the problem (the parser's own message names only a
// line, and for a bad indentation the line where the enclosing block
// started). Values files are parsed with it too.
func Syntax(err error) *SyntaxError {
	var le *yaml.LoadError
	if errors.As(err, &le) {
		msg := le.Message
		if le.ContextMsg != "" && le.ContextMark.Line > 0 && le.ContextMark != le.Mark {
			msg = fmt.Sprintf("%s (%s at line %d, column %d)", msg, le.ContextMsg, le.ContextMark.Line, le.ContextMark.Column)
		}
		return &SyntaxError{Line: le.Mark.Line, Column: le.Mark.Column, Message: msg}
	}
	return &SyntaxError{Message: strings.TrimPrefix(err.Error(), "yaml: ")}
}

// CheckYAML parses data as YAML and returns its first syntax error, or
// nil; kind is what the top-level node is ("map", "list", "scalar",
// "empty").
func CheckYAML(data []byte) (kind string, err *SyntaxError) {
	var root yaml.Node
	if e := yaml.Unmarshal(data, &root); e != nil {
		return "", Syntax(e)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return "empty", nil
	}
	switch root.Content[0].Kind {
	case yaml.MappingNode:
		return "map", nil
	case yaml.SequenceNode:
		return "list", nil
	}
	return "scalar", nil
}
