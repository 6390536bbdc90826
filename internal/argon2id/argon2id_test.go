package argon2id

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/crypto/argon2"
)

// Hashes from reused (dirty) work areas equal x/crypto's, for several
// sizes and lane counts taken in turns, from several goroutines at once.
func TestSameAsXCrypto(t *testing.T) {
	type params struct {
		time, memory uint32
		threads      uint8
	}
	ps := []params{{1, 64, 1}, {2, 256, 1}, {3, 512, 2}, {2, 19456, 1}, {1, 64, 4}}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 12 {
				p := ps[(i+g)%len(ps)]
				pw, salt := []byte(fmt.Sprintf("password %d/%d", g, i)), []byte(fmt.Sprintf("salt-%02d-%02d-0123", g, i))
				want := argon2.IDKey(pw, salt, p.time, p.memory, p.threads, 32)
				if got := IDKey(pw, salt, p.time, p.memory, p.threads, 32); !bytes.Equal(got, want) {
					t.Errorf("IDKey(%+v) = %x, want %x", p, got, want)
				}
				if got, want := Key(pw, salt, p.time, p.memory, p.threads, 16), argon2.Key(pw, salt, p.time, p.memory, p.threads, 16); !bytes.Equal(got, want) {
					t.Errorf("Key(%+v) = %x, want %x", p, got, want)
				}
			}
		})
	}
	wg.Wait()
}

// Hashing one after another reuses the one work area; at most GOMAXPROCS
// wait for the next hash, and they are given back when released.
func TestWorkAreaReused(t *testing.T) {
	const memory = 4096 // KiB
	releaseAreas()
	IDKey([]byte("warm"), []byte("saltsalt"), 1, memory, 1, 32)
	area := func() *block {
		freeMu.Lock()
		defer freeMu.Unlock()
		if l := freeAreas[memory]; len(l) == 1 && freeCount == 1 {
			return &l[0][0]
		}
		t.Fatalf("free list after a hash: %d areas", freeCount)
		return nil
	}
	first := area()
	for i := range 5 {
		IDKey([]byte(fmt.Sprint(i)), []byte("saltsalt"), 1, memory, 1, 32)
		if a := area(); a != first {
			t.Fatalf("hash %d used another work area", i)
		}
	}
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Go(func() { IDKey([]byte("x"), []byte("saltsalt"), 1, memory, 1, 32) })
	}
	wg.Wait()
	freeMu.Lock()
	kept := freeCount
	freeMu.Unlock()
	if kept > runtime.GOMAXPROCS(0) {
		t.Errorf("%d work areas kept; at most GOMAXPROCS (%d)", kept, runtime.GOMAXPROCS(0))
	}
	releaseAreas()
	if freeCount != 0 || len(freeAreas) != 0 {
		t.Errorf("after release: %d areas kept", freeCount)
	}
}
