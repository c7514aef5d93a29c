package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"listo/account"
	"listo/auth"
	"listo/config"
	"listo/models"
	"listo/store"
)

// createAdmin implements "listo create-admin EMAIL": it reads the password
// from stdin (without echo on a terminal), then creates the admin, or
// promotes an existing user, enables it and sets that password, revoking
// its sessions.
func createAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: listo create-admin EMAIL (the password is read from stdin)")
	}
	email := models.NormalizeEmail(args[0])
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return fmt.Errorf("create-admin: %q is not a valid email address", args[0])
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	if msg := models.TextProblem(models.TextPlain, password); msg != "" {
		return fmt.Errorf("create-admin: the password %s", msg)
	}
	if err := auth.NewPasswordPolicy().Check(password); err != nil {
		return fmt.Errorf("create-admin: %w", err)
	}
	log := NewLogger(cfg, stderr)
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoURI, Database: cfg.MongoDB, DataDir: cfg.DataDir, Timeout: cfg.DBTimeout, Logger: log})
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	if err := st.EnsureIndexes(ctx); err != nil {
		return err
	}
	hasher := auth.NewHasher(cfg.BcryptCost, 1, time.Minute)
	defer hasher.Close()
	// No session cache lives in this process; the server's own cache
	// expires within SESSION_CACHE_TTL.
	accounts := account.New(account.Config{
		Store: st, Cache: noCache{}, Hasher: hasher, Policy: auth.NewPasswordPolicy(), Now: time.Now,
	})
	u, created, err := accounts.EnsureAdmin(ctx, email, password)
	if err != nil {
		return fmt.Errorf("create-admin: %w", err)
	}
	if created {
		fmt.Fprintf(stdout, "created admin %s (id %s)\n", u.Email, u.ID)
	} else {
		fmt.Fprintf(stdout, "promoted %s to admin and set its password (id %s)\n", u.Email, u.ID)
	}
	return nil
}

// readPassword reads one line; on a terminal it prompts and does not echo.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// noCache is the session cache of a process that serves no requests.
type noCache struct{}

func (noCache) ForgetSession(string) {}
func (noCache) ForgetUser(string)    {}
func (noCache) ForgetPAT(string)     {}
