//go:build !unix

package argon2id

// allocArea makes a work area of memory blocks (KiB) on Go's heap.
func allocArea(memory uint32) []block { return make([]block, memory) }

// freeArea leaves a work area to the garbage collector.
func freeArea([]block) {}
