package scalar

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"flowlens/models"
)

// Hostile input (SECURITY.md §7): the scalars never panic, accept only
// their canonical forms, and echo at most a clipped prefix of bad input.

// maxMessage bounds an error message: the clipped input (64 bytes, each
// at most 10 bytes once quoted) and the fixed text.
const maxMessage = 64*10 + 120

func badInput(t *testing.T, err error) {
	t.Helper()
	var e *models.Error
	if !errors.As(err, &e) || e.Code != models.CodeBadUserInput || !e.ArgFromPath {
		t.Fatalf("error %v is not a BAD_USER_INPUT value error", err)
	}
	if len(e.Message) > maxMessage {
		t.Fatalf("message of %d bytes echoes too much input", len(e.Message))
	}
}

func FuzzUnmarshalUUID(f *testing.F) {
	for _, s := range []string{"3f2b6c1e-8a4d-4c1e-9b1a-2f9d6e0c7a55", "3F2B6C1E-8A4D-4C1E-9B1A-2F9D6E0C7A55",
		"{3f2b6c1e-8a4d-4c1e-9b1a-2f9d6e0c7a55}", "urn:uuid:3f2b6c1e-8a4d-4c1e-9b1a-2f9d6e0c7a55",
		"3f2b6c1e8a4d4c1e9b1a2f9d6e0c7a55", "", "' OR 1=1 --", strings.Repeat("a", 1000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := UnmarshalUUID(s)
		if err != nil {
			badInput(t, err)
			return
		}
		if len(s) != 36 || id.String() != strings.ToLower(s) {
			t.Fatalf("%q accepted as %s", s, id)
		}
		var b bytes.Buffer
		MarshalUUID(id).MarshalGQL(&b)
		if b.String() != strconv.Quote(id.String()) {
			t.Fatalf("marshal %s: %s", id, b.String())
		}
	})
}

func FuzzUnmarshalTime(f *testing.F) {
	for _, s := range []string{"2026-03-29T01:30:00Z", "2026-03-29T03:30:00+02:00", "2026-03-29T01:30:00.123456789Z",
		"2026-03-29", "2026-03-29 01:30:00", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "2026-02-30T00:00:00Z",
		"2026-03-29T01:30:00+24:00", "", strings.Repeat("9", 500)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := UnmarshalTime(s)
		if err != nil {
			badInput(t, err)
			return
		}
		var b bytes.Buffer
		MarshalTime(v).MarshalGQL(&b)
		out, err := strconv.Unquote(b.String())
		if err != nil {
			t.Fatalf("marshal %v: %s", v, b.String())
		}
		back, err := UnmarshalTime(out)
		if err != nil || !back.Equal(v) {
			t.Fatalf("%q → %v → %q → %v (%v)", s, v, out, back, err)
		}
	})
}

func FuzzUnmarshalDate(f *testing.F) {
	for _, s := range []string{"2026-03-29", "2026-02-29", "2024-02-29", "26-3-29", "2026-03-29T00:00:00Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := UnmarshalDate(s)
		if err != nil {
			badInput(t, err)
			return
		}
		if d.Format(time.DateOnly) != s {
			t.Fatalf("%q accepted as %s", s, d.Format(time.DateOnly))
		}
	})
}

// TestScalarsRejectOtherTypes: values that are not strings (numbers,
// lists, objects, null) are BAD_USER_INPUT, never a panic.
func TestScalarsRejectOtherTypes(t *testing.T) {
	for _, v := range []any{nil, 42, 4.2, true, []any{"3f2b6c1e-8a4d-4c1e-9b1a-2f9d6e0c7a55"}, map[string]any{"id": "x"}, uuid.New()} {
		_, err := UnmarshalUUID(v)
		badInput(t, err)
		_, err = UnmarshalTime(v)
		badInput(t, err)
		_, err = UnmarshalDate(v)
		badInput(t, err)
	}
}
