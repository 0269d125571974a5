package graph

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The Playground's schema query nests deeper than the depth limit; in
// development it must still be answered, or the docs explorer and
// autocompletion stay empty.
func TestIntrospectionPassesTheLimitsInDevelopment(t *testing.T) {
	doc, errs := gqlparser.LoadQuery(NewExecutableSchema(Config{}).Schema(), introspection.Query)
	if errs != nil {
		t.Fatal(errs)
	}
	schemaField := doc.Operations[0].SelectionSet[0].(*ast.Field)
	m := measurer{fragments: map[string]*shape{}}
	if d := 1 + m.selectionSet(schemaField.SelectionSet).depth; d <= DefaultLimits.MaxDepth {
		t.Fatalf("the introspection query is %d deep, within the limit of %d: this test shows nothing", d, DefaultLimits.MaxDepth)
	}

	srv := NewServer(&Resolver{}, Options{Development: true, Log: slog.New(slog.DiscardHandler), Limits: DefaultLimits})
	srv.AddTransport(transport.POST{})
	body, _ := json.Marshal(map[string]string{"query": introspection.Query})
	req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) || !strings.Contains(rec.Body.String(), `"TeamAnalytics"`) {
		t.Fatalf("introspection: %d %.300s", rec.Code, rec.Body.String())
	}
}
