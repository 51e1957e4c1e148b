package ui

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Printer writes progress and warnings to one writer (stderr).
type Printer struct {
	W     io.Writer
	TTY   bool // redraw in place; otherwise plain lines
	Color bool
	Quiet bool
	Now   func() time.Time

	mu       sync.Mutex
	comps    map[string]*compState
	order    []string
	drawn    int // lines drawn by the last redraw, to move the cursor back
	start    time.Time
	stopTick chan struct{}
}

type compState struct {
	state, detail string
	pending       []string
	since         time.Time
}

// New returns a Printer for w, detecting a terminal and NO_COLOR.
func New(w io.Writer, quiet bool) *Printer {
	p := &Printer{W: w, Quiet: quiet, Now: time.Now}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.TTY = true
		p.Color = os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	}
	return p
}

func (p *Printer) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

func (p *Printer) paint(code, s string) string {
	if !p.Color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Infof prints one line of progress (suppressed by --quiet).
func (p *Printer) Infof(format string, args ...any) {
	if p.Quiet {
		return
	}
	p.line(fmt.Sprintf(format, args...))
}

// Warnf prints a warning; --quiet does not hide warnings.
func (p *Printer) Warnf(format string, args ...any) {
	p.line(p.paint("33", "warning: ") + fmt.Sprintf(format, args...))
}

// line prints above the live block on a terminal.
func (p *Printer) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintln(p.W, s)
	p.draw()
}

// Component states shown by Update.
const (
	StatePending    = "queued"
	StateInstalling = "installing"
	StateWaiting    = "waiting for readiness"
	StateReady      = "ready"
	StateFailed     = "failed"
	StateSkipped    = "skipped"
	StateUnchanged  = "unchanged"
)

// Update records a component's state. On a terminal the live block is
// redrawn; otherwise a plain line is printed when state or detail changed
// (not for every pending-resource change, to keep logs short).
func (p *Printer) Update(component, state, detail string, pending []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.comps == nil {
		p.comps = map[string]*compState{}
		p.start = p.now()
	}
	c, ok := p.comps[component]
	if !ok {
		c = &compState{}
		p.comps[component] = c
		p.order = append(p.order, component)
	}
	changed := c.state != state || c.detail != detail
	if c.state != state {
		c.since = p.now()
	}
	c.state, c.detail = state, detail
	c.pending = append([]string(nil), pending...)
	sort.Strings(c.pending)
	if p.Quiet {
		return
	}
	if p.TTY {
		p.clear()
		p.draw()
		return
	}
	if changed {
		msg := fmt.Sprintf("%s: %s", component, state)
		if detail != "" {
			msg += " (" + detail + ")"
		}
		fmt.Fprintf(p.W, "[%6s] %s\n", p.elapsed(), msg)
	}
}

func (p *Printer) elapsed() string {
	return p.now().Sub(p.start).Round(100 * time.Millisecond).String()
}

// StartTicker redraws the terminal block every interval so the elapsed
// time moves while nothing changes. A no-op when not on a terminal.
func (p *Printer) StartTicker(interval time.Duration) (stop func()) {
	if !p.TTY || p.Quiet {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.mu.Lock()
				p.clear()
				p.draw()
				p.mu.Unlock()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}

// Finish leaves the final block on screen and stops redrawing over it.
func (p *Printer) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawn = 0
}

// clear moves the cursor back over the last drawn block.
func (p *Printer) clear() {
	if !p.TTY || p.drawn == 0 {
		return
	}
	fmt.Fprintf(p.W, "\x1b[%dA\x1b[J", p.drawn)
	p.drawn = 0
}

// draw prints the live block: one line per component and, under a
// component still waiting, up to five resources it waits for.
func (p *Printer) draw() {
	if !p.TTY || p.Quiet || len(p.order) == 0 {
		return
	}
	var b strings.Builder
	lines := 0
	for _, name := range p.order {
		c := p.comps[name]
		mark := map[string]string{StateReady: p.paint("32", "✓"), StateUnchanged: p.paint("32", "✓"), StateFailed: p.paint("31", "✗"), StateSkipped: "-"}[c.state]
		if mark == "" {
			mark = p.paint("36", "…")
		}
		fmt.Fprintf(&b, "%s %-16s %s", mark, name, c.state)
		if c.detail != "" {
			fmt.Fprintf(&b, " (%s)", c.detail)
		}
		if c.state == StateWaiting || c.state == StateInstalling {
			fmt.Fprintf(&b, " %s", p.now().Sub(c.since).Round(time.Second))
		}
		b.WriteByte('\n')
		lines++
		if c.state == StateWaiting {
			for i, r := range c.pending {
				if i == 5 {
					fmt.Fprintf(&b, "    … and %d more\n", len(c.pending)-5)
					lines++
					break
				}
				fmt.Fprintf(&b, "    %s\n", r)
				lines++
			}
		}
	}
	fmt.Fprint(p.W, b.String())
	p.drawn = lines
}
