package models

import (
	"bytes"
	"encoding/json"
	"io"
)

// Titles of step feedback for nodes that have no usable title, and for node
// ids that are not in the tree structure (or when it is malformed).
const (
	UnnamedStep = "Unnamed"
	UnknownStep = "Unknown Step"
)

// Titles maps node ids to titles; see NodeTitles.
type Titles map[string]string

// Title returns the title of node id, or UnknownStep when the structure did
// not hold it.
func (t Titles) Title(id string) string {
	if title, ok := t[id]; ok {
		return title
	}
	return UnknownStep
}

// NodeTitles reads the titles of the wanted node ids from a tree structure:
// its root object and, recursively at any depth, the objects in each node's
// `children` array. A node's id must be a string; its title is its first
// non-empty string among `title` and `question`, else UnnamedStep. When an
// id appears twice, the first node in pre-order wins. A structure that is
// not valid JSON, or whose root is not an object, yields no titles.
//
// The reader streams tokens with an explicit stack, so nesting depth costs
// only memory proportional to it (no recursion, no depth limit), and
// memory otherwise stays bounded by the wanted ids.
func NodeTitles(structure []byte, wanted map[string]bool) Titles {
	titles := Titles{}
	if len(wanted) == 0 || len(structure) == 0 {
		return titles
	}
	dec := json.NewDecoder(bytes.NewReader(structure))
	dec.UseNumber()
	w := walker{dec: dec, wanted: wanted, found: map[string]int{}, titles: Titles{}}
	if err := w.run(); err != nil {
		return titles // malformed: every node id is unknown
	}
	return w.titles
}

// frame kinds of the walker's stack.
const (
	frameNode     = iota // inside a node object, reading its keys
	frameChildren        // inside a node's children array
	frameSkip            // inside a value that is not part of the node tree
)

type frame struct {
	kind int
	// node fields (frameNode)
	order           int
	id              *string
	title, question string
	// key awaiting its value (frameNode)
	key    string
	hasKey bool
}

type walker struct {
	dec    *json.Decoder
	wanted map[string]bool
	found  map[string]int // id -> pre-order index of the node that gave its title
	titles Titles
	stack  []frame
	nodes  int
}

func (w *walker) run() error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return io.ErrUnexpectedEOF // root is not an object
	}
	w.pushNode()
	for len(w.stack) > 0 {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		top := &w.stack[len(w.stack)-1]
		switch top.kind {
		case frameSkip:
			if d, ok := tok.(json.Delim); ok {
				if d == '{' || d == '[' {
					w.stack = append(w.stack, frame{kind: frameSkip})
				} else {
					w.stack = w.stack[:len(w.stack)-1]
					w.valueDone()
				}
			}
		case frameChildren:
			switch tok {
			case json.Delim('{'):
				w.pushNode()
			case json.Delim('['):
				w.stack = append(w.stack, frame{kind: frameSkip})
			case json.Delim(']'):
				w.stack = w.stack[:len(w.stack)-1]
				w.valueDone()
			}
		case frameNode:
			if !top.hasKey {
				if tok == json.Delim('}') {
					w.popNode()
					continue
				}
				key, _ := tok.(string)
				top.key, top.hasKey = key, true
				continue
			}
			key := top.key
			switch key { // a later duplicate key replaces an earlier one
			case "id":
				top.id = nil
			case "title":
				top.title = ""
			case "question":
				top.question = ""
			}
			switch d := tok.(type) {
			case json.Delim:
				if key == "children" && d == '[' {
					w.stack = append(w.stack, frame{kind: frameChildren})
				} else {
					w.stack = append(w.stack, frame{kind: frameSkip})
				}
			case string:
				switch key {
				case "id":
					s := d
					top.id = &s
				case "title":
					top.title = d
				case "question":
					top.question = d
				}
				top.hasKey = false
			default: // numbers, booleans and null: a non-string id identifies nothing
				top.hasKey = false
			}
		}
	}
	return nil
}

func (w *walker) pushNode() {
	w.stack = append(w.stack, frame{kind: frameNode, order: w.nodes})
	w.nodes++
}

// valueDone marks the pending key of the enclosing node as consumed after a
// nested value (array or object) ends.
func (w *walker) valueDone() {
	if n := len(w.stack); n > 0 && w.stack[n-1].kind == frameNode {
		w.stack[n-1].hasKey = false
	}
}

func (w *walker) popNode() {
	n := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	w.valueDone()
	if n.id == nil || !w.wanted[*n.id] {
		return
	}
	if prev, ok := w.found[*n.id]; ok && prev < n.order {
		return
	}
	title := n.title
	if title == "" {
		title = n.question
	}
	if title == "" {
		title = UnnamedStep
	}
	w.found[*n.id] = n.order
	w.titles[*n.id] = title
}
