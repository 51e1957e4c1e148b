package release

import (
	"bytes"
	"strings"
)

// Skipping what storedRelease lacks still costs encoding/json two scans
// of it, byte by byte through its state machine (checkValid, then skip):
// for Argo CD's release, 3 MB of the chart's templates and files as
// base64 strings, most of the ~55 ms its decoding took. pruneChart
// replaces each member of the release's "chart" object other than
// "metadata" with null, finding the ends of strings with bytes.IndexByte;
// json.Unmarshal then reads the rest, and validates it, as before.
//
// Only valid JSON as Helm writes it is pruned. Anything unexpected before
// or around the chart (an escaped key, a structure that does not close)
// returns nil, and the release is decoded whole. Within the values
// replaced, only the nesting of brackets and the ends of strings are
// checked: a release that is invalid JSON there decodes here though Helm
// would skip it, which Get can afford (it shows what the rest says).

// pruneChart returns data with the values of the chart's members other
// than metadata replaced by null, or nil if data is not laid out so.
func pruneChart(data []byte) []byte {
	var cut [][2]int // value spans to replace, in order
	end, ok := members(data, skipSpace(data, 0), func(key string, from int) (int, bool) {
		if strings.EqualFold(key, "chart") && from < len(data) && data[from] == '{' {
			return members(data, from, func(key string, from int) (int, bool) {
				to, ok := skipValue(data, from)
				if ok && !strings.EqualFold(key, "metadata") {
					cut = append(cut, [2]int{from, to})
				}
				return to, ok
			})
		}
		return skipValue(data, from)
	})
	if !ok || skipSpace(data, end) != len(data) {
		return nil
	}
	size := len(data)
	for _, c := range cut {
		size -= c[1] - c[0] - len("null")
	}
	out := make([]byte, 0, size)
	prev := 0
	for _, c := range cut {
		out = append(append(out, data[prev:c[0]]...), "null"...)
		prev = c[1]
	}
	return append(out, data[prev:]...)
}

// members walks the object at data[i], calling value for each member
// with its key and where its value starts; value returns where the value
// ends. members returns where the object ends.
func members(data []byte, i int, value func(key string, from int) (int, bool)) (int, bool) {
	if i >= len(data) || data[i] != '{' {
		return 0, false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return 0, false
		}
		end, ok := skipString(data, i)
		if !ok {
			return 0, false
		}
		key := data[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			return 0, false // an escaped key: encoding/json decides
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return 0, false
		}
		if i, ok = value(string(key), skipSpace(data, i+1)); !ok {
			return 0, false
		}
		i = skipSpace(data, i)
		switch {
		case i < len(data) && data[i] == ',':
			i = skipSpace(data, i+1)
		case i < len(data) && data[i] == '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// skipValue returns where the JSON value at data[i] ends.
func skipValue(data []byte, i int) (int, bool) {
	if i >= len(data) {
		return 0, false
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		var open []byte // the closing brackets awaited
		for i < len(data) {
			switch c := data[i]; c {
			case '"':
				end, ok := skipString(data, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{':
				open = append(open, '}')
			case '[':
				open = append(open, ']')
			case '}', ']':
				if len(open) == 0 || open[len(open)-1] != c {
					return 0, false
				}
				if open = open[:len(open)-1]; len(open) == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	start := i // a number, true, false or null
	for i < len(data) && !delimiter(data[i]) {
		i++
	}
	return i, i > start
}

// skipString returns where the string at data[i] (a quote) ends: after the
// first quote not escaped, one after an even run of backslashes.
func skipString(data []byte, i int) (int, bool) {
	for j := i + 1; ; {
		k := bytes.IndexByte(data[j:], '"')
		if k < 0 {
			return 0, false
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && data[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, true
		}
		j = q + 1
	}
}

func delimiter(c byte) bool {
	switch c {
	case ',', ':', '{', '}', '[', ']', '"', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}
