package store

import "testing"

// CreatePart is createPart, for tests.
const CreatePart = createPart

// SetPartsHook has f called between the parts of a batch (partsHook) until
// the test ends.
func SetPartsHook(tb testing.TB, f func(written int)) {
	partsHook = f
	tb.Cleanup(func() { partsHook = nil })
}
