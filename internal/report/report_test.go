package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestWriteUpTable(t *testing.T) {
	var buf bytes.Buffer
	err := WriteUp(&buf, Table, Up{Components: []Component{
		{Name: "traefik", Chart: "traefik", Version: "41.3.0", Namespace: "traefik", Status: "ready"},
		{Name: "jenkins", Chart: "jenkins", Version: "5.9.53", Namespace: "jenkins", Status: "ready", URL: "http://jenkins.127.0.0.1.sslip.io", Username: "admin", Password: "pw"},
	}, Notes: []string{"connect a repo: slipway up --gitops-repo URL"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `COMPONENT  CHART           NAMESPACE  STATUS  URL                                USERNAME  PASSWORD
traefik    traefik@41.3.0  traefik    ready   -                                  -         -
jenkins    jenkins@5.9.53  jenkins    ready   http://jenkins.127.0.0.1.sslip.io  admin     pw

connect a repo: slipway up --gitops-repo URL
`
	if buf.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestWriteUpJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteUp(&buf, JSON, Up{Profile: "default", Version: "1.0.0", Components: []Component{{Name: "jenkins"}}}); err != nil {
		t.Fatal(err)
	}
	var got Up
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Profile != "default" || len(got.Components) != 1 {
		t.Fatalf("%+v", got)
	}
}

func TestParseFormat(t *testing.T) {
	if _, err := ParseFormat("xml"); err == nil || err.Error() != `unknown output format "xml": use one of table, json, yaml` {
		t.Fatal(err)
	}
	if f, err := ParseFormat("json", Table, JSON); err != nil || f != JSON {
		t.Fatal(f, err)
	}
}
