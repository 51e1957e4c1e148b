package app

import (
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v3"
	"golang.org/x/term"
)

// flagCategories group up's flags (and so diff's, template's and
// bundle's, which are taken from up's) under headings in --help, in the
// order a user decides them. A flag not listed here shows under "Other";
// add it where it belongs.
var flagCategories = map[string]string{
	"profile": "1. Profile", "ingress": "1. Profile", "gitops": "1. Profile", "without": "1. Profile",
	"set": "2. Values", "values": "2. Values", "password": "2. Values", "domain": "2. Values", "ip": "2. Values",
	"gitops-repo": "2. Values", "gitops-path": "2. Values", "gitops-revision": "2. Values",
	"gitops-username": "2. Values", "gitops-password": "2. Values", "gitops-ssh-key": "2. Values", "gitops-known-hosts": "2. Values",
	"registry": "2. Values", "registry-username": "2. Values", "registry-password": "2. Values", "in-cluster-registry": "2. Values",
	"chart-mirror": "3. Charts", "charts-dir": "3. Charts", "offline": "3. Charts", "cache-dir": "3. Charts",
	"lock": "3. Charts", "locked": "3. Charts", "bundle": "3. Charts", "registry-config": "3. Charts", "repository-config": "3. Charts",
	"kubeconfig": "4. Cluster", "context": "4. Cluster", "create-cluster": "4. Cluster", "cluster-name": "4. Cluster",
	"kind-config": "4. Cluster", "skip-preflight": "4. Cluster",
	"dry-run": "5. Install", "rollback-on-failure": "5. Install", "timeout": "5. Install", "wait-for-lock": "5. Install", "adopt": "5. Install",
	"output": "6. Output", "quiet": "6. Output", "show-passwords": "6. Output",
}

// categorized sets each flag's help heading from flagCategories.
func categorized(flags []cli.Flag) []cli.Flag {
	for _, f := range flags {
		cat, ok := flagCategories[f.Names()[0]]
		if !ok {
			cat = "7. Other"
		}
		switch f := f.(type) {
		case *cli.StringFlag:
			f.Category = cat
		case *cli.StringSliceFlag:
			f.Category = cat
		case *cli.BoolFlag:
			f.Category = cat
		case *cli.DurationFlag:
			f.Category = cat
		case *cli.IntFlag:
			f.Category = cat
		}
	}
	return flags
}

// urfave/cli sorts headings by name (hence the numbers, which the help
// leaves out) and does not wrap flags under a heading; this template
// does, to the terminal's width.
const flagCategoryTemplate = `{{range .VisibleFlagCategories}}{{if .Name}}
   {{trimOrder .Name}}:{{end}}{{range .Flags}}
     {{wrap .String 8}}{{end}}
{{end}}`

func init() {
	for _, t := range []*string{&cli.CommandHelpTemplate, &cli.SubcommandHelpTemplate, &cli.RootCommandHelpTemplate} {
		*t = strings.ReplaceAll(*t, `{{template "visibleFlagCategoryTemplate" .}}`, flagCategoryTemplate)
	}
	cli.HelpPrinter = func(w io.Writer, templ string, data any) {
		cli.HelpPrinterCustom(w, templ, data, map[string]any{
			"wrapAt":    func() int { return terminalWidth(w) },
			"trimOrder": func(s string) string { _, name, _ := strings.Cut(s, ". "); return name },
		})
	}
}

// terminalWidth is w's width when it is a terminal; 0 (no wrapping)
// otherwise, so piped help stays one line per flag.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil {
			return width
		}
	}
	return 0
}
