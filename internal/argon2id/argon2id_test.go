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

// Hashing one after another reuses the work area: the heap does not grow by
// a work area per hash.
func TestWorkAreaReused(t *testing.T) {
	const memory = 4096 // KiB
	IDKey([]byte("warm"), []byte("saltsalt"), 1, memory, 1, 32)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range 20 {
		IDKey([]byte(fmt.Sprint(i)), []byte("saltsalt"), 1, memory, 1, 32)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4*memory<<10 {
		t.Errorf("20 hashes allocated %d KiB; a work area is %d KiB", grew>>10, memory)
	}
}
