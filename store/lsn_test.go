package store

import "testing"

// TestParseLSN: the text form of pg_lsn both ways, and what is not one.
func TestParseLSN(t *testing.T) {
	for _, c := range []struct {
		text string
		want lsn
	}{
		{"0/0", 0},
		{"0/16B3748", 0x16B3748},
		{"16/B374D848", 0x16_B374D848},
		{"FFFFFFFF/FFFFFFFF", 0xFFFFFFFF_FFFFFFFF},
	} {
		got, err := parseLSN(c.text)
		if err != nil || got != c.want {
			t.Errorf("parseLSN(%q) = %#x, %v; want %#x", c.text, uint64(got), err, uint64(c.want))
		}
		if got.String() != c.text {
			t.Errorf("%#x.String() = %q, want %q", uint64(got), got.String(), c.text)
		}
	}
	for _, bad := range []string{"", "16", "16/", "/1", "G/1", "1/100000000", "-1/2", "1/2/3"} {
		if _, err := parseLSN(bad); err == nil {
			t.Errorf("parseLSN(%q) accepted", bad)
		}
	}
}

// TestRecordEnd: an insert position just past a page header is the page
// boundary (24 bytes on a page, 40 on a segment's first page); anywhere
// else it stays. Segments of 16 MiB, PostgreSQL's default.
func TestRecordEnd(t *testing.T) {
	const seg = 16 << 20
	for _, c := range []struct{ in, want lsn }{
		{3*8192 + 24, 3 * 8192},        // past a page header
		{5*seg + 40, 5 * seg},          // past a segment's long header
		{5*seg + 24, 5*seg + 24},       // inside a long header's span: a record may not end there, left as is
		{3*8192 + 40, 3*8192 + 40},     // 16 bytes into a page: a record may end there
		{3*8192 + 1000, 3*8192 + 1000}, // mid-page
		{3 * 8192, 3 * 8192},           // the boundary itself
		{0x16_B374D848, 0x16_B374D848}, // an arbitrary position
	} {
		if got := c.in.recordEnd(seg); got != c.want {
			t.Errorf("recordEnd(%#x) = %#x, want %#x", uint64(c.in), uint64(got), uint64(c.want))
		}
	}
	if got := lsn(10).minus(4); got != 6 {
		t.Errorf("10 minus 4 = %d", got)
	}
	if got := lsn(4).minus(10); got != 0 {
		t.Errorf("4 minus 10 = %d, want 0 (not behind)", got)
	}
}
