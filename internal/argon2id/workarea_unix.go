//go:build unix

package argon2id

import (
	"sync"
	"syscall"
	"unsafe"
)

// heapAreas are the work areas made on Go's heap because mapping failed.
var heapAreas sync.Map // *block → true

// allocArea maps a work area of memory blocks (KiB) outside Go's heap.
func allocArea(memory uint32) []block {
	mem, err := syscall.Mmap(-1, 0, int(memory)*1024, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		B := make([]block, memory)
		heapAreas.Store(&B[0], true)
		return B
	}
	return unsafe.Slice((*block)(unsafe.Pointer(unsafe.SliceData(mem))), memory)
}

// freeArea gives a work area back to the system.
func freeArea(B []block) {
	if _, ok := heapAreas.LoadAndDelete(&B[0]); ok {
		return
	}
	syscall.Munmap(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(B))), len(B)*1024))
}
