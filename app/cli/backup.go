package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"rollcall/app"
	"rollcall/store"
)

func (m *Main) runBackup(ctx context.Context, args []string) error {
	fs := m.flags("backup", "backup [--db PATH] OUT")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 1); err != nil {
		return err
	}
	out := fs.Arg(0)
	path, err := m.dbPath(*dbp)
	if err != nil {
		return err
	}
	var n int64
	db, err := m.open(path)
	switch {
	case err == nil:
		n, err = m.newApp(db).Backup(ctx, func() (int64, error) {
			return writeFileAtomic(out, func(w io.Writer) (int64, error) { return db.WriteBackup(w, nil) })
		})
		db.Close()
	case errors.Is(err, store.ErrAlreadyOpen):
		n, err = backupFromServer(ctx, path, out)
	}
	if err != nil {
		return err
	}
	if err := store.Verify(out); err != nil {
		return fmt.Errorf("the backup %s does not pass its check: %w", out, err)
	}
	fmt.Fprintf(m.Stdout, "Backup written to %s (%d bytes), checked.\n", out, n)
	return nil
}

// callServer sends a request to the `serve` that holds the database file,
// with the local token from its note.
func callServer(ctx context.Context, dbPath, method, path string, body io.Reader) (*http.Response, error) {
	raw, err := os.ReadFile(serveInfoPath(dbPath))
	if err != nil {
		return nil, fmt.Errorf("%s is open in another Rollcall that is not `serve` (a desktop window?): close it first, or use the window", dbPath)
	}
	var info serveInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, fmt.Errorf("read %s: %w", serveInfoPath(dbPath), err)
	}
	host := info.Addr
	if tcp, err := net.ResolveTCPAddr("tcp", info.Addr); err == nil && tcp.IP.IsUnspecified() {
		host = fmt.Sprintf("127.0.0.1:%d", tcp.Port)
	}
	scheme, client := "http", http.DefaultClient
	if len(info.Cert) > 0 { // HTTPS: trust exactly the certificate serve noted
		scheme, client = "https", pinnedClient(info.Cert)
	}
	req, err := http.NewRequestWithContext(ctx, method, scheme+"://"+host+path, body)
	if err != nil {
		return nil, err
	}
	req.Host = "localhost"
	req.Header.Set("Authorization", "Bearer "+info.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask the running `rollcall serve` (pid %d): %w", info.PID, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		var e app.Error
		if json.NewDecoder(resp.Body).Decode(&e) == nil && e.Message != "" {
			return nil, &e
		}
		return nil, fmt.Errorf("the running `rollcall serve` answered %s", resp.Status)
	}
	return resp, nil
}

// backupFromServer asks the `serve` that holds the file for a copy, and
// refuses one shorter than the server announced.
func backupFromServer(ctx context.Context, dbPath, out string) (int64, error) {
	resp, err := callServer(ctx, dbPath, http.MethodGet, "/api/backup", nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return writeFileAtomic(out, func(w io.Writer) (int64, error) {
		n, err := io.Copy(w, resp.Body)
		if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
			err = fmt.Errorf("the copy was cut short: %d of %d bytes", n, resp.ContentLength)
		}
		return n, err
	})
}

// pinnedClient trusts only the server certificate cert (DER): serve is
// asked at 127.0.0.1, a name its certificate need not carry.
func pinnedClient(cert []byte) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, // replaced by the exact comparison below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], cert) {
				return errors.New("the server's certificate is not the one `rollcall serve` noted")
			}
			return nil
		},
	}}}
}

// runRestore puts a backup in place of the database: it is checked first,
// and the current state is backed up beside the database before.
func (m *Main) runRestore(ctx context.Context, args []string) error {
	fs := m.flags("restore", "restore [--db PATH] BACKUP\n\nRun it while `serve` is stopped, or use Settings → Backups in the browser.")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 1); err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	return m.withApp(*dbp, func(a *app.App) error {
		res, err := a.RestoreUpload(ctx, f)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Restored %s. The state before was backed up to %s.\n", fs.Arg(0), filepath.Join(a.Backups.Dir, res.Before.Name))
		return nil
	})
}

// runCompact rewrites the database file with its live pages only
// (CompactDatabase): deleted records' space is given back.
func (m *Main) runCompact(ctx context.Context, args []string) error {
	fs := m.flags("compact", "compact [--db PATH]\n\nRun it while `serve` is stopped, or use Settings → Backups → Compact now in the browser.")
	dbp := dbFlag(fs)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	return m.withApp(*dbp, func(a *app.App) error {
		c, err := a.CompactDatabase(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Compacted: %s → %s, checked.\n", sizeText(c.Before), sizeText(c.After))
		return nil
	})
}

// sizeText is a file size for people: 1.2 MB.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
