package release

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestPruneChart(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"templates and files go, metadata stays",
			`{"name":"web","chart":{"metadata":{"name":"web","version":"1.0.0"},"templates":[{"name":"t","data":"eA=="}],"values":{"a":[1,{"b":"}"}]},"schema":null,"files":[]},"manifest":"m","version":2}`,
			`{"name":"web","chart":{"metadata":{"name":"web","version":"1.0.0"},"templates":null,"values":null,"schema":null,"files":null},"manifest":"m","version":2}`},
		{"escaped quotes and backslashes in strings",
			`{"chart":{"files":["a\"]}","b\\","c\\\"d","\u005c"],"metadata":{"name":"x\\"}},"manifest":"q\"}"}`,
			`{"chart":{"files":null,"metadata":{"name":"x\\"}},"manifest":"q\"}"}`},
		{"spaces", " {\n \"chart\" :\t{ \"values\" : { } , \"metadata\" : { } } }\r\n", " {\n \"chart\" :\t{ \"values\" : null , \"metadata\" : { } } }\r\n"},
		{"a key in another case", `{"Chart":{"Templates":[],"METADATA":{}}}`, `{"Chart":{"Templates":null,"METADATA":{}}}`},
		{"no chart", `{"name":"web","version":1}`, `{"name":"web","version":1}`},
		{"chart null", `{"chart":null}`, `{"chart":null}`},
		{"empty objects", `{"chart":{}}`, `{"chart":{}}`},
		{"an escaped key", `{"ch\u0061rt":{"templates":[]}}`, ""},
		{"a string that does not end", `{"chart":{"templates":["abc}]}}`, ""},
		{"brackets that do not match", `{"chart":{"templates":[}]}}`, ""},
		{"brackets that do not close", `{"chart":{"templates":[[]}`, ""},
		{"trailing bytes", `{"chart":{}} x`, ""},
		{"a missing colon", `{"chart"{}}`, ""},
		{"a missing comma", `{"a":1 "chart":{}}`, ""},
		{"not an object", `[]`, ""},
		{"empty", ``, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(pruneChart([]byte(tc.in))); got != tc.want {
				t.Errorf("pruned\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// FuzzPruneChart: a release that encoding/json reads whole reads the same
// pruned, and pruning never panics. By hand, like FuzzDecodeStored (200000
// inputs found nothing): go test -run '^$' -fuzz FuzzPruneChart ./internal/release
func FuzzPruneChart(f *testing.F) {
	for _, s := range []string{
		`{"name":"web","version":2,"info":{"status":"deployed","last_deployed":"2026-12-02T10:00:00Z"},"chart":{"metadata":{"name":"web","version":"1.0.0","appVersion":"v1"},"templates":[{"name":"t","data":"eA=="}],"values":{"a":[1,2.5e3,true,null]}},"config":{"x":{"y":"z"}},"manifest":"a\"b\\"}`,
		`{"chart":{"files":["a\"]}","b\\","\u005c"],"metadata":{"name":"x\\"}},"manifest":"q\"}"}`,
		`{"Chart":{"Metadata":{"Name":"n"},"metadata":{"version":"2"}},"chart":{"metadata":{"appVersion":"3"}}}`,
		`{"chart":{"metadata":null,"lock":{"digest":"sha"}},"version":-1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pruned := pruneChart(data)
		var whole storedRelease
		if pruned == nil || json.Unmarshal(data, &whole) != nil {
			return
		}
		var lean storedRelease
		if err := json.Unmarshal(pruned, &lean); err != nil {
			t.Fatalf("%s reads whole but not pruned (%s): %v", data, pruned, err)
		}
		if !reflect.DeepEqual(whole, lean) {
			t.Fatalf("%s reads\n%+v\nwhole and\n%+v\npruned", data, whole, lean)
		}
	})
}
