package graph

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/google/uuid"

	"flowlens/models"
)

// Cursors of the sessions connections are opaque and tamper-evident: the
// position of a session in its list (the order's key and the session id),
// the field and the order they were issued for, and an HMAC-SHA256 of all
// that and the viewer's account under a server key (derived from the JWT
// secret). A cursor whose characters were changed, truncated or made up, or one
// issued for another field, order or account, fails the check and is
// BAD_USER_INPUT naming `after`; the server never acts on a position it did
// not issue. The position itself is no secret: it is the started_at (or
// duration) and id of a session the client was shown.

// SessionField names the sessions field a cursor was issued for.
type SessionField byte

// The three sessions fields.
const (
	TeamSessions     SessionField = 1 // teamAnalytics.sessions
	PersonalSessions SessionField = 2 // myAnalytics.sessions
	FlowSessions     SessionField = 3 // flowAnalytics.sessions
)

func (f SessionField) String() string {
	switch f {
	case TeamSessions:
		return "teamAnalytics.sessions"
	case PersonalSessions:
		return "myAnalytics.sessions"
	case FlowSessions:
		return "flowAnalytics.sessions"
	}
	return "sessions"
}

// cursorVersion is the first byte of every cursor's payload.
const cursorVersion = 1

// Layout of a cursor: payload (version, field, order, 8-byte key, 16-byte
// session id) then the first macLen bytes of its HMAC.
const (
	payloadLen = 1 + 1 + 1 + 8 + 16
	macLen     = 16
	cursorLen  = payloadLen + macLen
)

// orderCodes are the order bytes of a cursor.
var orderCodes = map[models.SessionOrder]byte{models.OrderNewest: 1, models.OrderOldest: 2, models.OrderLongest: 3}

// Cursors signs and checks cursors with one key.
type Cursors struct{ key []byte }

// NewCursors returns the cursor codec of key (at least 32 bytes of secret).
func NewCursors(key []byte) Cursors { return Cursors{key: key} }

// Encode returns the cursor of position p in a list of field under order,
// for account.
func (c Cursors) Encode(account uuid.UUID, field SessionField, order models.SessionOrder, p models.SessionPosition) string {
	b := make([]byte, payloadLen, cursorLen)
	b[0], b[1], b[2] = cursorVersion, byte(field), orderCodes[order]
	var key uint64
	if order == models.OrderLongest {
		key = uint64(p.Longest)
	} else {
		key = uint64(p.StartedAt.UnixMicro())
	}
	binary.BigEndian.PutUint64(b[3:11], key)
	copy(b[11:27], p.ID[:])
	b = append(b, c.mac(account, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode returns the position of a cursor that this server issued for
// account, field and order; anything else is BAD_USER_INPUT naming `after`.
func (c Cursors) Decode(account uuid.UUID, field SessionField, order models.SessionOrder, s string) (models.SessionPosition, error) {
	bad := models.BadInput("after", "is not a cursor of %s with orderBy %s: pass an edge's cursor or pageInfo.endCursor of the same field and order, unchanged", field, order)
	// Only the canonical encoding of the bytes is one the server issued:
	// base64 decoding alone would take strings that differ from it (the
	// unused bits of the last character, line breaks, which it skips).
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != cursorLen || base64.RawURLEncoding.EncodeToString(b) != s {
		return models.SessionPosition{}, bad
	}
	payload, mac := b[:payloadLen], b[payloadLen:]
	if !hmac.Equal(mac, c.mac(account, payload)) {
		return models.SessionPosition{}, bad
	}
	if payload[0] != cursorVersion || payload[1] != byte(field) || payload[2] != orderCodes[order] {
		return models.SessionPosition{}, bad
	}
	var p models.SessionPosition
	key := binary.BigEndian.Uint64(payload[3:11])
	if order == models.OrderLongest {
		p.Longest = int64(key)
	} else {
		p.StartedAt = time.UnixMicro(int64(key)).UTC()
	}
	copy(p.ID[:], payload[11:27])
	return p, nil
}

// mac returns the truncated HMAC of a payload for account.
func (c Cursors) mac(account uuid.UUID, payload []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(account[:])
	m.Write(payload)
	return m.Sum(nil)[:macLen]
}
