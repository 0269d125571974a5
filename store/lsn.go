package store

import (
	"fmt"
	"strconv"
	"strings"
)

// lsn is a position in the WAL (PostgreSQL's pg_lsn): a byte offset.
type lsn uint64

// parseLSN reads the text form of a pg_lsn, two hexadecimal halves
// separated by a slash ("16/B374D848").
func parseLSN(s string) (lsn, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if ok {
		h, err1 := strconv.ParseUint(hi, 16, 32)
		l, err2 := strconv.ParseUint(lo, 16, 32)
		if err1 == nil && err2 == nil {
			return lsn(h<<32 | l), nil
		}
	}
	return 0, fmt.Errorf("not a WAL position: %q", s)
}

// String returns the text form of l, as PostgreSQL writes it.
func (l lsn) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

// minus returns how many bytes l is ahead of m (0 when it is not).
func (l lsn) minus(m lsn) uint64 {
	if l <= m {
		return 0
	}
	return uint64(l - m)
}

// walPage is the size of a WAL page (XLOG_BLCKSZ); every page starts with
// a header of walPageHeader bytes, but a segment's first page, whose
// header is walSegmentHeader bytes long.
const (
	walPage          = 8192
	walPageHeader    = 24
	walSegmentHeader = 40
)

// recordEnd turns an insert position into the end of the records before
// it, given the size of a WAL segment. Right after a page boundary (after
// a WAL switch, say) the insert position points past the new page's
// header, where no record has been written, while a standby's replay
// position is the end of the last record, the boundary itself: it would
// never reach the insert position until the next write. No record ends
// inside a page header, so the boundary is the same point in the WAL.
func (l lsn) recordEnd(segment uint64) lsn {
	switch {
	case segment > 0 && uint64(l)%segment == walSegmentHeader:
		return l - walSegmentHeader
	case uint64(l)%walPage == walPageHeader && (segment == 0 || uint64(l)%segment != walPageHeader):
		return l - walPageHeader
	}
	return l
}
