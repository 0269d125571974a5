package graph

import (
	"fmt"

	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"flowlens/models"
)

// The shape of a document is checked after parsing and before gqlparser
// validates it, because validation itself can be made slow: it compares
// every pair of fields that share a response key in a selection set, and
// every pair of fragments spread into one (OverlappingFieldsCanBeMerged);
// it walks each fragment once per operation and once per fragment
// definition; and it collects the fields of nested inline fragments at
// every level. Within the token limit, `{ __typename ×4900 }` took seconds
// that way. checkDocument bounds each of these, in time linear in the
// document (it stops at its bounds), so that validation's work is bounded
// too: at most maxSameKey × MaxFields pairs of fields are compared.

// Bounds of a document's shape besides Limits.MaxFields. A dashboard
// selects each field once or a few times (fragments of several components
// that overlap, each maybe with its own __typename), spreads a handful of
// fragments into one selection set and nests at most 4 levels deep (the
// schema's own depth; the definitions of the Playground's schema query
// nest 8). The costliest documents within these bounds are validated in
// about 10 ms on 2 cores (BenchmarkRefusal).
const (
	// maxSameKey bounds the fields that one response key (a name or an
	// alias) stands for in one selection set, fields of inline fragments
	// and of spread fragments merged in, as the executor merges them.
	maxSameKey = 20
	// maxSpreads bounds the fragment spreads of one selection set, those
	// of spread fragments included.
	maxSpreads = 16
	// maxNesting bounds how deep selection sets (of fields and inline
	// fragments) nest inside one operation or fragment definition.
	maxNesting = 16
)

// unsupportedDirectives are the directives of incremental delivery, which
// the service does not implement: they are refused instead of silently
// answering deferred fields with null.
var unsupportedDirectives = map[string]string{
	"defer":  "@defer is not supported: select the fields without it, they arrive in the one response",
	"stream": "@stream is not supported: select the list without it, it arrives in the one response",
}

func init() {
	// Nor does the schema advertise them: gqlparser declares @defer in
	// every schema, so introspection would list it.
	for name := range unsupportedDirectives {
		delete(parsedSchema.Directives, name)
	}
}

// shapeCheck is one run of checkDocument.
type shapeCheck struct {
	frags map[string]*ast.FragmentDefinition
	// spreads holds, per fragment, the fragments it spreads anywhere.
	spreads map[string][]string
	// limit is the most fields counted (Limits.MaxFields, or
	// maxFieldVisits when that is off); full is set once they are passed.
	limit  int
	count  bool // whether passing limit refuses the document
	fields int
	full   bool
}

// checkDocument returns the error of the first bound that doc passes, or
// nil. maxFields (0: off) bounds the fields of the whole document: those
// of every operation and every fragment definition, a fragment's fields
// counted each time it is spread, a spread or inline fragment counting as
// one field, as validation walks them. It also refuses fragment cycles
// (which validation would report) and @defer and @stream.
func checkDocument(doc *ast.QueryDocument, maxFields int) *gqlerror.Error {
	return newShapeCheck(doc, maxFields).run(doc)
}

// newShapeCheck prepares the check of doc with a field limit of maxFields.
func newShapeCheck(doc *ast.QueryDocument, maxFields int) *shapeCheck {
	s := &shapeCheck{frags: map[string]*ast.FragmentDefinition{}, spreads: map[string][]string{}, limit: maxFields, count: maxFields > 0}
	if !s.count {
		s.limit = maxFieldVisits
	}
	for _, f := range doc.Fragments {
		if _, dup := s.frags[f.Name]; !dup {
			s.frags[f.Name] = f // validation reports duplicates; it uses the first too
		}
	}
	return s
}

// run checks doc: first each definition once, then the merged selections
// with fragments expanded.
func (s *shapeCheck) run(doc *ast.QueryDocument) *gqlerror.Error {
	for _, op := range doc.Operations {
		if err := s.scan(op.SelectionSet, 1, ""); err != nil {
			return err
		}
	}
	for _, f := range doc.Fragments {
		owner := f.Name
		if s.frags[f.Name] != f {
			owner = "" // a duplicate: never expanded, only walked itself
		}
		if err := s.scan(f.SelectionSet, 1, owner); err != nil {
			return err
		}
	}
	if name := s.cycle(); name != "" {
		return validationError("fragment %s spreads itself, directly or through other fragments", name)
	}
	roots := make([]ast.SelectionSet, 0, len(doc.Operations)+len(doc.Fragments))
	for _, op := range doc.Operations {
		roots = append(roots, op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		roots = append(roots, f.SelectionSet)
	}
	for _, root := range roots {
		if err := s.merged([]ast.SelectionSet{root}); err != nil {
			return err
		}
		if s.full {
			break
		}
	}
	if s.full && s.count {
		return limitError(models.CodeFieldLimit, "the document has more than %d fields (every operation and fragment; a fragment's fields count each time it is spread)", s.limit)
	}
	return nil
}

// scan walks a definition's selections once, without expanding spreads:
// it bounds their nesting, refuses the directives of incremental delivery
// and records which fragments owner (a fragment's name, or "" for an
// operation) spreads.
func (s *shapeCheck) scan(set ast.SelectionSet, depth int, owner string) *gqlerror.Error {
	if depth > maxNesting {
		return limitError(models.CodeFieldLimit, "selections nest more than %d levels deep", maxNesting)
	}
	for _, sel := range set {
		var dirs ast.DirectiveList
		var sub ast.SelectionSet
		switch x := sel.(type) {
		case *ast.Field:
			dirs, sub = x.Directives, x.SelectionSet
		case *ast.InlineFragment:
			dirs, sub = x.Directives, x.SelectionSet
		case *ast.FragmentSpread:
			dirs = x.Directives
			if owner != "" {
				s.spreads[owner] = append(s.spreads[owner], x.Name)
			}
		}
		for _, d := range dirs {
			if msg, ok := unsupportedDirectives[d.Name]; ok {
				return validationError("%s", msg)
			}
		}
		if len(sub) > 0 {
			if err := s.scan(sub, depth+1, owner); err != nil {
				return err
			}
		}
	}
	return nil
}

// cycle returns a fragment that spreads itself through the fragments it
// spreads, or "".
func (s *shapeCheck) cycle() string {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var visit func(string) string
	visit = func(name string) string {
		switch state[name] {
		case active:
			return name
		case done:
			return ""
		}
		state[name] = active
		for _, next := range s.spreads[name] {
			if _, ok := s.frags[next]; !ok {
				continue // unknown: validation reports it
			}
			if c := visit(next); c != "" {
				return c
			}
		}
		state[name] = done
		return ""
	}
	for name := range s.frags {
		if c := visit(name); c != "" {
			return c
		}
	}
	return ""
}

// group is the fields that one response key of a selection set stands for.
type group struct {
	fields int
	sets   []ast.SelectionSet // their selection sets, merged one level down
}

// merged walks selection sets merged as the executor merges them (the
// sets of every field of one response key, fragments expanded in place),
// counting every selection visited against the limit, and refuses a
// response key that stands for more than maxSameKey fields or a set with
// more than maxSpreads fragment spreads. There are no fragment cycles.
func (s *shapeCheck) merged(sets []ast.SelectionSet) *gqlerror.Error {
	groups := map[string]*group{}
	var order []string
	spreads := 0
	var collect func(ast.SelectionSet) *gqlerror.Error
	collect = func(set ast.SelectionSet) *gqlerror.Error {
		for _, sel := range set {
			if s.fields++; s.fields > s.limit {
				s.full = true
				return nil
			}
			switch x := sel.(type) {
			case *ast.Field:
				key := x.Alias
				if key == "" {
					key = x.Name
				}
				g := groups[key]
				if g == nil {
					g = &group{}
					groups[key] = g
					order = append(order, key)
				}
				if g.fields++; g.fields > maxSameKey {
					return limitError(models.CodeFieldLimit, "%q is selected more than %d times in one selection set (fields of that name or alias, fragments included)", key, maxSameKey)
				}
				if len(x.SelectionSet) > 0 {
					g.sets = append(g.sets, x.SelectionSet)
				}
			case *ast.InlineFragment:
				if err := collect(x.SelectionSet); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				if spreads++; spreads > maxSpreads {
					return limitError(models.CodeFieldLimit, "more than %d fragments are spread into one selection set (spreads inside those fragments included)", maxSpreads)
				}
				if def := s.frags[x.Name]; def != nil {
					if err := collect(def.SelectionSet); err != nil {
						return err
					}
				}
			}
			if s.full {
				return nil
			}
		}
		return nil
	}
	for _, set := range sets {
		if err := collect(set); err != nil || s.full {
			return err
		}
	}
	for _, key := range order {
		if g := groups[key]; len(g.sets) > 0 {
			if err := s.merged(g.sets); err != nil || s.full {
				return err
			}
		}
	}
	return nil
}

// validationError is a GRAPHQL_VALIDATION_FAILED error of the document,
// found before gqlparser's own validation.
func validationError(format string, a ...any) *gqlerror.Error {
	err := &gqlerror.Error{Message: fmt.Sprintf(format, a...)}
	errcode.Set(err, errcode.ValidationFailed)
	return err
}
