package graph

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"flowlens/models"
)

// The operation limits on a recursive schema: flowlens's own schema is at
// most 4 deep, so the depth limit of 10 is exercised here, the rest end to
// end in the root package's limits_test.go.

var recursive = gqlparser.MustLoadSchema(&ast.Source{Name: "test", Input: `
	type Query { node: Node }
	type Node { id: ID child: Node children: [Node] }`})

// check runs the depth and alias limits over query q.
func check(t *testing.T, l Limits, q string) *gqlerror.Error {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(recursive, q)
	if errs != nil {
		t.Fatalf("invalid test query: %v", errs)
	}
	oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
	return operationLimits{Limits: l}.MutateOperationContext(context.Background(), oc)
}

// chain returns { node { child { … id } } } of the given field depth.
func chain(depth int) string {
	return "{ node { " + strings.Repeat("child { ", depth-2) + "id" + strings.Repeat(" }", depth-2) + " } }"
}

func TestDepth(t *testing.T) {
	for _, c := range []struct {
		q    string
		want int
	}{
		{chain(2), 2}, {chain(10), 10}, {chain(11), 11}, {chain(40), 40},
		// Fragments and inline fragments add no depth of their own.
		{"{ node { ...A } } fragment A on Node { child { ... on Node { child { ...B } } } } fragment B on Node { id }", 4},
		// The deepest branch counts, not the first.
		{"{ node { id child { id } children { child { child { id } } } } }", 5},
	} {
		err := check(t, Limits{MaxDepth: 10}, c.q)
		switch {
		case c.want <= 10 && err != nil:
			t.Errorf("depth %d refused: %v", c.want, err)
		case c.want > 10 && (err == nil || err.Extensions["code"] != string(models.CodeDepthLimit) ||
			err.Message != fmt.Sprintf("the operation has depth %d, which exceeds the limit of 10", c.want)):
			t.Errorf("depth %d: got %v", c.want, err)
		}
	}
}

func TestAliases(t *testing.T) {
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{ node { ")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "a%d: id ", i)
		}
		b.WriteString("} }")
		return b.String()
	}
	if err := check(t, Limits{MaxAliases: 15}, aliases(15)); err != nil {
		t.Errorf("15 aliases refused: %v", err)
	}
	if err := check(t, Limits{MaxAliases: 15}, aliases(16)); err == nil || err.Extensions["code"] != string(models.CodeAliasLimit) {
		t.Errorf("16 aliases: %v", err)
	}
	// Writing a field's own name as its alias is no alias.
	if err := check(t, Limits{MaxAliases: 1}, "{ node { id: id child: child { id } } }"); err != nil {
		t.Errorf("self-aliases counted: %v", err)
	}
	// Aliases inside introspection count as well.
	doc := "{ __schema { "
	for i := 0; i < 16; i++ {
		doc += fmt.Sprintf("t%d: types { name } ", i)
	}
	if err := check(t, Limits{MaxAliases: 15, MaxDepth: 10}, doc+"} }"); err == nil || err.Extensions["code"] != string(models.CodeAliasLimit) {
		t.Errorf("16 aliases in __schema: %v", err)
	}
}

// TestFragmentBomb: fragments spreading each other twice, 40 levels, expand
// to 2^40 fields. The measurer visits each fragment once (without that the
// test would not finish) and saturates instead of overflowing.
func TestFragmentBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("{ node { ...F0 } } ")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "fragment F%d on Node { a%d: id ...F%d ...F%d } ", i, i, i+1, i+1)
	}
	b.WriteString("fragment F40 on Node { child { id } }")
	err := check(t, Limits{MaxAliases: 15, MaxDepth: 10}, b.String())
	if err == nil || err.Extensions["code"] != string(models.CodeAliasLimit) || !strings.Contains(err.Message, "1099511627775 aliases") {
		t.Fatalf("got %v, want 2^40-1 aliases refused", err)
	}
}

func TestTokenCount(t *testing.T) {
	l := operationLimits{Limits: Limits{MaxTokens: 6}}
	for q, ok := range map[string]bool{
		"{ node { id } }":          true,  // 6 tokens
		"{ node { id } } ":         true,  // spaces and commas are no tokens
		"{ node { id, } }":         true,  //
		"{ node { id child } }":    false, // 7
		"{ node { id } } # a note": false, // comments count, as in the parser
		`{ node(x: "` + strings.Repeat("a", 100000) + `") }`: false, // 8
		"":                       true, // nothing to count (persisted query by hash)
		"{ node { id } \x00 } }": true, // lexical errors are the parser's to report
	} {
		err := l.MutateOperationParameters(context.Background(), &graphql.RawParams{Query: q})
		if (err == nil) != ok {
			t.Errorf("%.40q: err = %v, want ok=%v", q, err, ok)
		}
		if err != nil && err.Extensions["code"] != string(models.CodeTokenLimit) {
			t.Errorf("%.40q: code %v", q, err.Extensions["code"])
		}
	}
}

func TestErrorCap(t *testing.T) {
	resp := func(n int) *graphql.Response {
		r := &graphql.Response{}
		for i := 0; i < n; i++ {
			r.Errors = append(r.Errors, &gqlerror.Error{Message: fmt.Sprint(i)})
		}
		return r
	}
	l := operationLimits{Limits: Limits{MaxErrors: 20}}
	for n, want := range map[int]int{0: 0, 19: 19, 20: 20, 21: 20, 5000: 20} {
		got := l.InterceptResponse(context.Background(), func(context.Context) *graphql.Response { return resp(n) })
		if len(got.Errors) != want {
			t.Errorf("%d errors: %d kept, want %d", n, len(got.Errors), want)
		}
		if n > 20 {
			last := got.Errors[19]
			if last.Extensions["code"] != string(models.CodeTooManyErrors) || !strings.Contains(last.Message, fmt.Sprintf("%d more errors", n-19)) || got.Errors[18].Message != "18" {
				t.Errorf("%d errors: last kept %q, note %q", n, got.Errors[18].Message, last.Message)
			}
		}
	}
}
