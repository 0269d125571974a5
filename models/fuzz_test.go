package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

// Hostile input (SECURITY.md §7): fuzz targets for the node-title
// extraction and the window arguments. `go test` runs their seed corpora;
// `go test -fuzz=FuzzNodeTitles ./models` searches further.

// refTitles is an independent, recursive reading of the rules of
// NodeTitles, used as the fuzz oracle: the root object and, at any depth,
// the objects in each node's `children` arrays (every `children` key, in
// order); a node's id is its last `id` when that is a string; its title the
// last `title` if a non-empty string, else the last `question` if one, else
// UnnamedStep; the first node in pre-order wins a duplicate id; a
// malformed document gives nothing.
func refTitles(structure []byte, wanted map[string]bool) Titles {
	dec := json.NewDecoder(bytes.NewReader(structure))
	dec.UseNumber()
	r := refWalker{dec: dec, wanted: wanted, titles: Titles{}, order: map[string]int{}}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return Titles{}
	}
	if err := r.node(); err != nil {
		return Titles{}
	}
	return r.titles
}

type refWalker struct {
	dec    *json.Decoder
	wanted map[string]bool
	titles Titles
	order  map[string]int
	n      int
}

// node reads a node object whose '{' has been read.
func (r *refWalker) node() error {
	order := r.n
	r.n++
	var id *string
	var title, question string
	for {
		tok, err := r.dec.Token()
		if err != nil {
			return err
		}
		if tok == json.Delim('}') {
			break
		}
		key, _ := tok.(string)
		v, err := r.dec.Token()
		if err != nil {
			return err
		}
		s, isString := v.(string)
		switch key {
		case "id":
			id = nil
			if isString {
				id = &s
			}
		case "title":
			title = ""
			if isString {
				title = s
			}
		case "question":
			question = ""
			if isString {
				question = s
			}
		}
		if d, ok := v.(json.Delim); ok {
			if key == "children" && d == '[' {
				err = r.children()
			} else {
				err = r.skip()
			}
			if err != nil {
				return err
			}
		}
	}
	if id == nil || !r.wanted[*id] {
		return nil
	}
	if prev, ok := r.order[*id]; ok && prev < order {
		return nil
	}
	t := title
	if t == "" {
		t = question
	}
	if t == "" {
		t = UnnamedStep
	}
	r.order[*id] = order
	r.titles[*id] = t
	return nil
}

// children reads a children array whose '[' has been read.
func (r *refWalker) children() error {
	for {
		tok, err := r.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim(']'):
			return nil
		case json.Delim('{'):
			err = r.node()
		case json.Delim('['):
			err = r.skip()
		}
		if err != nil {
			return err
		}
	}
}

// skip reads to the end of a value whose opening delimiter has been read.
func (r *refWalker) skip() error {
	for depth := 1; depth > 0; {
		tok, err := r.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

func FuzzNodeTitles(f *testing.F) {
	for _, s := range []string{
		`{"id":"root","title":"Start","children":[{"id":"q1","question":"On?"},{"id":"t1","title":"","question":""}]}`,
		`{"id":"a","children":[{"id":"b","children":[{"id":"c","title":"C"}]}],"title":"A"}`,
		`{"id":"x","title":"first","children":[{"id":"x","title":"second"}]}`,
		`{"children":[{"id":"x","title":"child first"}],"id":"x","title":"parent"}`,
		`{"id":"d","title":"T","title":5,"question":"Q"}`,
		`{"id":"d","children":[{"id":"e"}],"children":[{"id":"f","title":"F"}]}`,
		`{"id":7,"children":[[{"id":"g"}],"str",null,{"id":"h","meta":{"id":"no","children":[{"id":"no2"}]}}]}`,
		`{"id":"a"`, `["not an object"]`, `"str"`, `null`, ``, `{"id":"a","title":"x"} trailing`,
		`{"id":"\u00e9","title":"\ud83d\ude00"}`, "{\"id\":\"bad\xff\",\"title\":\"x\"}",
		strings.Repeat(`{"id":"n","children":[`, 50) + strings.Repeat(`]}`, 50),
	} {
		f.Add([]byte(s), "root,q1,t1,a,b,c,x,d,e,f,g,h,no,no2,n,é,bad\uFFFD")
	}
	f.Fuzz(func(t *testing.T, structure []byte, ids string) {
		wanted := map[string]bool{}
		for _, id := range strings.Split(ids, ",") {
			wanted[id] = true
		}
		got := NodeTitles(structure, wanted)
		for id, title := range got {
			if !wanted[id] || title == "" {
				t.Fatalf("title %q for id %q (wanted %v)", title, id, wanted[id])
			}
		}
		if want := refTitles(structure, wanted); !reflect.DeepEqual(got, want) {
			t.Fatalf("NodeTitles(%q) = %v, the rules give %v", structure, got, want)
		}
	})
}

// TestNodeTitlesDeep reads a structure nested 100,000 levels deep: no
// recursion, so no stack overflow, and memory proportional to the depth.
func TestNodeTitlesDeep(t *testing.T) {
	const depth = 100000
	var b strings.Builder
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, `{"id":"n%d","title":"T%d","children":[`, i, i)
	}
	b.WriteString(`{"id":"leaf","question":"Last?"}`)
	b.WriteString(strings.Repeat("]}", depth))
	structure := []byte(b.String())

	var got Titles
	peak, total := measureHeap(func() {
		got = NodeTitles(structure, map[string]bool{"n0": true, "n50000": true, "n99999": true, "leaf": true, "absent": true})
	})
	want := Titles{"n0": "T0", "n50000": "T50000", "n99999": "T99999", "leaf": "Last?"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	t.Logf("%d levels (%.1f MiB): heap grew by at most %.1f MiB; %.1f MiB allocated in all",
		depth, float64(len(structure))/(1<<20), float64(peak)/(1<<20), float64(total)/(1<<20))
	if peak > 64<<20 {
		t.Errorf("the heap grew by %d MiB for a %d KiB structure; want under 64 MiB", peak>>20, len(structure)>>10)
	}
	// A malformed end after the deep nesting: no titles, no crash.
	if got := NodeTitles(structure[:len(structure)-1], map[string]bool{"n0": true}); len(got) != 0 {
		t.Errorf("truncated structure: %v", got)
	}
}

// measureHeap runs fn and returns by how much the heap (live and not yet
// collected objects) grew at most while it ran, sampled every 100 µs, and
// how much fn allocated in all. The collector runs at GOGC=10 meanwhile, so
// the heap stays close to the memory fn keeps live rather than to its
// garbage.
func measureHeap(fn func()) (peak, total uint64) {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	base := heap()
	done := make(chan struct{})
	var max uint64
	go func() {
		defer close(done)
		for {
			if h := heap(); h > max {
				max = h
			}
			select {
			case <-done:
				return
			default:
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	fn()
	done <- struct{}{}
	<-done
	runtime.ReadMemStats(&after)
	if h := heap(); h > max {
		max = h
	}
	if max > base {
		peak = max - base
	}
	return peak, after.TotalAlloc - before.TotalAlloc
}

func FuzzNewWindow(f *testing.F) {
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC).Unix()
	f.Add("", int64(0), int64(0), false, false, "UTC", now)
	f.Add("LAST_7_DAYS", int64(0), int64(0), false, false, "Europe/Berlin", now)
	f.Add("LAST_90_DAYS", int64(0), now-86400, false, true, "America/New_York", now)
	f.Add("", now-10*86400, now, true, true, "Asia/Kolkata", now)
	f.Add("", now, now, true, true, "UTC", now)
	f.Add("", now-400*86400, now, true, false, "UTC", now)
	f.Add("NOPE", int64(0), int64(0), false, false, "UTC", now)
	f.Add("", int64(-1<<62), int64(1<<62), true, true, "UTC", now)
	f.Add("", int64(0), int64(0), false, false, "Local", now)
	f.Add("", int64(0), int64(0), false, false, "../../etc/passwd", now)
	f.Add("", int64(0), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), false, true, "UTC", now)
	f.Add("", time.Date(2, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2, 1, 2, 0, 0, 0, 0, time.UTC).Unix(), true, true, "UTC", now)
	f.Add("", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Unix(), time.Date(10000, 1, 1, 4, 0, 0, 0, time.UTC).Unix(), true, true, "UTC", now)
	f.Fuzz(func(t *testing.T, period string, from, to int64, hasFrom, hasTo bool, tz string, nowUnix int64) {
		args := WindowArgs{Period: Period(period), TimeZone: tz}
		if hasFrom {
			v := time.Unix(from, 0)
			args.From = &v
		}
		if hasTo {
			v := time.Unix(to, 0)
			args.To = &v
		}
		w, err := NewWindow(args, time.Unix(nowUnix, 0))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeBadUserInput {
				t.Fatalf("error %v is not a BAD_USER_INPUT *Error", err)
			}
			arg, _, _ := strings.Cut(e.Message, ":")
			if arg != "timeZone" && arg != "period" && arg != "from" && arg != "to" {
				t.Fatalf("error %q does not name an argument", e.Message)
			}
			return
		}
		if !w.From.Before(w.To) || w.To.Sub(w.From) > maxWindow || w.From.Location() != time.UTC || w.To.Location() != time.UTC {
			t.Fatalf("window %v – %v", w.From, w.To)
		}
		if w.Location == nil || w.TimeZone != tz {
			t.Fatalf("time zone %q, location %v", w.TimeZone, w.Location)
		}
		if p := w.Previous(); !p.To.Equal(w.From) || p.To.Sub(p.From) != w.To.Sub(w.From) {
			t.Fatalf("previous window %v – %v of %v – %v", p.From, p.To, w.From, w.To)
		}
		if p := w.Previous(); p.From.Before(EarliestTime) || w.To.After(LatestTime) {
			t.Fatalf("window %v – %v (previous from %v) outside %v – %v", w.From, w.To, p.From, EarliestTime, LatestTime)
		}
	})
}

func FuzzLoadTimeZone(f *testing.F) {
	for _, s := range []string{"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "", "Local", "/etc/passwd",
		"../../../etc/passwd", "Europe/../../etc/passwd", "Europe/Berlin\x00", "Etc/GMT+5", "utc", "Mars/Olympus"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		loc, err := loadTimeZone(name)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeBadUserInput || !strings.HasPrefix(e.Message, "timeZone: ") {
				t.Fatalf("error %v", err)
			}
			return
		}
		if loc == nil || name == "" || name == "Local" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
			t.Fatalf("%q accepted as %v", name, loc)
		}
	})
}
