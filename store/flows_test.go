package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"flowlens/models"
	"flowlens/store"
)

// TestFlow: a tree of the account is found by id with its name; a tree of
// the other account and an id that exists nowhere give the same error,
// models.ErrFlowNotFound, with the same message.
func TestFlow(t *testing.T) {
	f := newFixture(t)
	a := uuid.MustParse("a0000000-0000-4000-8000-0000000000a9")
	b := uuid.MustParse("b0000000-0000-4000-8000-0000000000b9")
	ta := uuid.MustParse("a9000000-0000-4000-8000-000000000001")
	ta2 := uuid.MustParse("a9000000-0000-4000-8000-000000000002")
	tb := uuid.MustParse("b9000000-0000-4000-8000-000000000001")
	f.accounts(a, b)
	f.trees(tree{ta, a, "Checkout"}, tree{ta2, a, "Émile's flow"}, tree{tb, b, "B flow"})
	ctx := context.Background()
	f.eachStore(t, func(t *testing.T, st *store.Store) {
		for _, c := range []struct {
			account, tree uuid.UUID
			want          models.Flow
		}{
			{a, ta, models.Flow{ID: ta, Name: "Checkout"}},
			{a, ta2, models.Flow{ID: ta2, Name: "Émile's flow"}},
			{b, tb, models.Flow{ID: tb, Name: "B flow"}},
		} {
			got, err := st.Flow(ctx, c.account, c.tree)
			if err != nil || got == nil || *got != c.want {
				t.Errorf("Flow(%s, %s) = %+v, %v; want %+v", c.account, c.tree, got, err, c.want)
			}
		}
		for _, c := range []struct {
			name          string
			account, tree uuid.UUID
		}{
			{"B's tree under A", a, tb},
			{"A's tree under B", b, ta},
			{"an id that exists nowhere", a, uuid.New()},
			{"an unknown account", uuid.New(), ta},
		} {
			got, err := st.Flow(ctx, c.account, c.tree)
			if got != nil || !errors.Is(err, models.ErrFlowNotFound) || err.Error() != "flow not found" {
				t.Errorf("%s: %+v, %v; want models.ErrFlowNotFound (flow not found)", c.name, got, err)
			}
			var me *models.Error
			if !errors.As(err, &me) || me.Code != models.CodeNotFound {
				t.Errorf("%s: %v is not NOT_FOUND", c.name, err)
			}
		}
	})
}
