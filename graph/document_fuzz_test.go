package graph

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"flowlens/models"
)

// FuzzDocumentBounds runs whole GraphQL documents through the pipeline
// (`go test` runs the seeds: the attacks, the costliest documents within
// the bounds, the dashboards; search further with
// `go test -fuzz=FuzzDocumentBounds ./graph`). Oracles: nothing panics; the
// shape check visits at most MaxFields+1 selections whatever the document;
// it lets a document through exactly when an independent, naive reading
// of the bounds finds it within all of them; a fragment cycle it reports is
// one gqlparser's validation reports too.
func FuzzDocumentBounds(f *testing.F) {
	for _, a := range attacks() {
		f.Add(a.doc)
	}
	for _, a := range withinBounds() {
		f.Add(a.doc)
	}
	for _, q := range []string{teamFull, myFull, flowFull, "{ __typename }", "{ viewer { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }",
		"{ viewer { ...A @defer } } fragment A on Viewer { id }", "query A { viewer { id } } query B { ...Q } fragment Q on Query { viewer { name } }",
		"{ a: viewer { id } a: viewer { name } ... on Query { a: viewer { accountId } } }"} {
		f.Add(q)
	}
	p := newPipeline(f, false, nil)
	f.Fuzz(func(t *testing.T, q string) {
		errs := p.run(q) // must not panic, whatever q is
		if tokenCount(q) > DefaultLimits.MaxTokens {
			if len(errs) != 1 || errs[0].Extensions["code"] != string(models.CodeTokenLimit) {
				t.Fatalf("over the token limit, not refused for it: %v", errs)
			}
			return
		}
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			return
		}
		s := newShapeCheck(doc, DefaultMaxFields)
		got := s.run(doc)
		if s.fields > DefaultMaxFields+1 {
			t.Fatalf("the shape check visited %d selections", s.fields)
		}
		if got != nil && strings.Contains(got.Message, "spreads itself") {
			if verrs := validator.Validate(schema, doc); !strings.Contains(verrs.Error(), "Cannot spread fragment") {
				t.Fatalf("a cycle that validation does not see: %v", verrs)
			}
			return
		}
		if got != nil && !strings.Contains(got.Message, "not supported") && got.Extensions["code"] != string(models.CodeFieldLimit) {
			t.Fatalf("unexpected error %v", got)
		}
		if got != nil && strings.Contains(got.Message, "not supported") {
			if !strings.Contains(q, "defer") && !strings.Contains(q, "stream") {
				t.Fatalf("%v without the directive", got)
			}
			return
		}
		within, why := naiveWithinBounds(doc)
		if within != (got == nil) {
			t.Fatalf("the shape check says %v; a naive reading: within=%v (%s)", got, within, why)
		}
		if got == nil && len(errs) > 0 && errs[0].Extensions["code"] == string(models.CodeFieldLimit) {
			t.Fatalf("the pipeline refused what the shape check passed: %v", errs)
		}
	})
}

// naiveWithinBounds reads the bounds of document.go over doc the slow way,
// for documents without fragment cycles: it expands every spread into a
// list of the selections each selection set stands for, then counts.
func naiveWithinBounds(doc *ast.QueryDocument) (bool, string) {
	frags := map[string]*ast.FragmentDefinition{}
	for _, f := range doc.Fragments {
		if frags[f.Name] == nil {
			frags[f.Name] = f
		}
	}
	var depth func(ast.SelectionSet) int
	depth = func(set ast.SelectionSet) int {
		d := 0
		for _, sel := range set {
			switch x := sel.(type) {
			case *ast.Field:
				d = max(d, depth(x.SelectionSet))
			case *ast.InlineFragment:
				d = max(d, depth(x.SelectionSet))
			}
		}
		if len(set) == 0 {
			return 0
		}
		return d + 1
	}
	var roots []ast.SelectionSet
	for _, op := range doc.Operations {
		roots = append(roots, op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		roots = append(roots, f.SelectionSet)
	}
	for _, r := range roots {
		if depth(r) > maxNesting {
			return false, "nesting"
		}
	}
	fields := 0
	over := false
	// flatten lists what a selection set stands for, fragments expanded,
	// counting every selection on the way (up to the limit).
	var flatten func(ast.SelectionSet, *[]*ast.Field, *int)
	flatten = func(set ast.SelectionSet, out *[]*ast.Field, spreads *int) {
		for _, sel := range set {
			if over {
				return
			}
			fields++
			if fields > DefaultMaxFields {
				over = true
				return
			}
			switch x := sel.(type) {
			case *ast.Field:
				*out = append(*out, x)
			case *ast.InlineFragment:
				flatten(x.SelectionSet, out, spreads)
			case *ast.FragmentSpread:
				*spreads++
				if def := frags[x.Name]; def != nil {
					flatten(def.SelectionSet, out, spreads)
				}
			}
		}
	}
	var check func([]ast.SelectionSet) string
	check = func(sets []ast.SelectionSet) string {
		var all []*ast.Field
		spreads := 0
		for _, set := range sets {
			flatten(set, &all, &spreads)
		}
		if over {
			return "fields"
		}
		if spreads > maxSpreads {
			return "spreads"
		}
		byKey := map[string][]ast.SelectionSet{}
		count := map[string]int{}
		var keys []string
		for _, f := range all {
			k := f.Alias
			if k == "" {
				k = f.Name
			}
			if count[k] == 0 {
				keys = append(keys, k)
			}
			count[k]++
			if len(f.SelectionSet) > 0 {
				byKey[k] = append(byKey[k], f.SelectionSet)
			}
		}
		for _, k := range keys {
			if count[k] > maxSameKey {
				return "same key " + k
			}
		}
		for _, k := range keys {
			if len(byKey[k]) > 0 {
				if why := check(byKey[k]); why != "" {
					return why
				}
			}
		}
		return ""
	}
	for _, r := range roots {
		if why := check([]ast.SelectionSet{r}); why != "" {
			return false, why
		}
	}
	return true, ""
}
