// Package scalar marshals flowlens's GraphQL scalars (UUID, Time, Date) and
// turns malformed input into BAD_USER_INPUT errors.
package scalar

import (
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"flowlens/models"
)

// MarshalUUID writes a UUID in canonical form.
func MarshalUUID(id uuid.UUID) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(id.String())) })
}

// UnmarshalUUID reads a UUID argument; anything but a canonical UUID string is
// BAD_USER_INPUT.
func UnmarshalUUID(v any) (uuid.UUID, error) {
	s, ok := v.(string)
	if !ok {
		return uuid.Nil, models.BadValue("expected a UUID string, got %s", describe(v))
	}
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.Nil, models.BadValue("%q is not a valid UUID", models.Clip(s))
	}
	return id, nil
}

// MarshalTime writes an instant in RFC 3339 (UTC).
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalTime reads an RFC 3339 instant; anything else is BAD_USER_INPUT.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, models.BadValue("expected an RFC 3339 time string, got %s", describe(v))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, models.BadValue("%q is not an RFC 3339 time such as 2026-03-01T00:00:00Z", models.Clip(s))
	}
	return t, nil
}

// MarshalDate writes a calendar day as YYYY-MM-DD.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(t.Format(time.DateOnly))) })
}

// UnmarshalDate reads a YYYY-MM-DD day; anything else is BAD_USER_INPUT.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, models.BadValue("expected a YYYY-MM-DD date string, got %s", describe(v))
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, models.BadValue("%q is not a YYYY-MM-DD date", models.Clip(s))
	}
	return t, nil
}

// describe names the GraphQL kind of a value that is not a string, never
// its Go type.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case int, int32, int64, float32, float64, json.Number:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return "a value that is not a string"
}
