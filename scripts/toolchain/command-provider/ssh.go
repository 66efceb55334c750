package main

// remote:Command: connect over SSH (optionally through a jump host) and run the command.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Dial retry backoff: first retry after retryDelay, growing by half each time, at most retryMaxDelay.
var (
	retryDelay    = time.Second
	retryMaxDelay = 10 * time.Second
)

// hostKeyError means the server's host key is not connection.hostKey; retrying cannot fix it.
type hostKeyError struct{ addr, got, want string }

func (e *hostKeyError) Error() string {
	return fmt.Sprintf("host key verification failed for %s: the server presented %s, but connection.hostKey is %s",
		e.addr, e.got, e.want)
}

func describeKey(k ssh.PublicKey) string { return k.Type() + " " + ssh.FingerprintSHA256(k) }

// clientConfig builds the SSH client configuration for c. The returned closer releases the
// agent connection, if one was opened.
func clientConfig(c *connection, addr string) (*ssh.ClientConfig, func(), error) {
	cfg := &ssh.ClientConfig{User: c.User}
	closer := func() {}

	// Host key: exact match when hostKey is set; not checked otherwise (as upstream).
	if c.HostKey != "" {
		want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.HostKey))
		if err != nil {
			return nil, closer, fmt.Errorf("connection.hostKey for %s is not a public key in authorized_keys "+
				"format (e.g. \"ssh-ed25519 AAAA...\"): %v", addr, err)
		}
		wantBytes := want.Marshal()
		cfg.HostKeyCallback = func(_ string, _ net.Addr, got ssh.PublicKey) error {
			if bytes.Equal(got.Marshal(), wantBytes) {
				return nil
			}
			return &hostKeyError{addr: addr, got: describeKey(got), want: describeKey(want)}
		}
		// Ask for the key type we expect, so a server with several host keys shows us that one.
		cfg.HostKeyAlgorithms = hostKeyAlgorithms(want.Type())
	} else {
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // documented upstream behaviour
	}

	// Authentication. x/crypto/ssh tries each method name once, so all public keys (the private
	// key and the agent's) go into a single publickey method.
	var signers []ssh.Signer
	if c.PrivateKey != "" {
		var s ssh.Signer
		var err error
		if c.PrivateKeyPassword != "" {
			s, err = ssh.ParsePrivateKeyWithPassphrase([]byte(c.PrivateKey), []byte(c.PrivateKeyPassword))
		} else {
			s, err = ssh.ParsePrivateKey([]byte(c.PrivateKey))
			var missing *ssh.PassphraseMissingError
			if errors.As(err, &missing) {
				err = errors.New("the key is encrypted: set connection.privateKeyPassword")
			}
		}
		if err != nil {
			return nil, closer, fmt.Errorf("connection.privateKey for %s: %v", addr, err)
		}
		signers = append(signers, s)
	}
	var agentClient agent.ExtendedAgent
	if sock := c.AgentSocketPath; sock != "" {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return nil, closer, fmt.Errorf("connection.agentSocketPath %s: %v", sock, err)
		}
		closer = func() { _ = conn.Close() }
		agentClient = agent.NewClient(conn)
	} else if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		// Like upstream, fall back to the caller's agent; silently skip one that does not answer.
		if conn, err := net.Dial("unix", sock); err == nil {
			closer = func() { _ = conn.Close() }
			agentClient = agent.NewClient(conn)
		}
	}
	if len(signers) > 0 || agentClient != nil {
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			all := signers
			if agentClient != nil {
				if more, err := agentClient.Signers(); err == nil {
					all = append(append([]ssh.Signer{}, signers...), more...)
				}
			}
			return all, nil
		}))
	}
	if c.Password != "" {
		pw := c.Password
		cfg.Auth = append(cfg.Auth,
			ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	if len(cfg.Auth) == 0 {
		closer()
		return nil, func() {}, fmt.Errorf("no SSH authentication method for %s: set connection.privateKey, "+
			"connection.password or connection.agentSocketPath (or SSH_AUTH_SOCK)", addr)
	}
	return cfg, closer, nil
}

func hostKeyAlgorithms(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// dialOnce opens one SSH connection to c, through via when non-nil, bounded by perDialTimeout
// (TCP connect and SSH handshake together).
func dialOnce(ctx context.Context, c *connection, via *ssh.Client) (*ssh.Client, error) {
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	cfg, closeAgent, err := clientConfig(c, addr)
	if err != nil {
		return nil, err
	}
	defer closeAgent()

	ctx, cancel := context.WithTimeout(ctx, time.Duration(c.PerDialTimeout)*time.Second)
	defer cancel()
	var conn net.Conn
	if via != nil {
		conn, err = via.DialContext(ctx, "tcp", addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	// The handshake has no context of its own: close the connection if the deadline passes.
	type result struct {
		c     ssh.Conn
		chans <-chan ssh.NewChannel
		reqs  <-chan *ssh.Request
		err   error
	}
	done := make(chan result, 1)
	go func() {
		sc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
		done <- result{sc, chans, reqs, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			_ = conn.Close()
			return nil, r.err
		}
		return ssh.NewClient(r.c, r.chans, r.reqs), nil
	case <-ctx.Done():
		_ = conn.Close()
		<-done
		return nil, fmt.Errorf("ssh: connecting to %s: timed out after %ds (perDialTimeout)", addr, c.PerDialTimeout)
	}
}

// dial connects to c, retrying failed attempts up to dialErrorLimit times (-1: forever).
func dial(ctx context.Context, c *connection, via *ssh.Client, warnf func(string, ...any)) (*ssh.Client, error) {
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	delay := retryDelay
	for attempt := 1; ; attempt++ {
		client, err := dialOnce(ctx, c, via)
		if err == nil {
			return client, nil
		}
		var hk *hostKeyError
		if errors.As(err, &hk) {
			return nil, hk
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connecting to %s: %w", addr, ctx.Err())
		}
		if c.DialErrorLimit != -1 && attempt >= c.DialErrorLimit {
			return nil, fmt.Errorf("could not connect to %s as %s after %d attempt(s) (dialErrorLimit %d): %w",
				addr, c.User, attempt, c.DialErrorLimit, err)
		}
		if warnf != nil && (attempt == 1 || attempt%5 == 0) {
			warnf("connecting to %s failed (attempt %d), retrying: %v", addr, attempt, err)
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, fmt.Errorf("connecting to %s: %w (last error: %v)", addr, ctx.Err(), err)
		}
		delay = min(delay*3/2, retryMaxDelay)
	}
}

// connect dials c, through c.Proxy when set. close releases both connections.
func connect(ctx context.Context, c *connection, warnf func(string, ...any)) (client *ssh.Client, close func(), err error) {
	if c.Proxy == nil {
		client, err = dial(ctx, c, nil, warnf)
		if err != nil {
			return nil, nil, err
		}
		return client, func() { _ = client.Close() }, nil
	}
	jump, err := dial(ctx, c.Proxy, nil, warnf)
	if err != nil {
		return nil, nil, fmt.Errorf("proxy: %w", err)
	}
	client, err = dial(ctx, c, jump, warnf)
	if err != nil {
		_ = jump.Close()
		return nil, nil, err
	}
	return client, func() { _ = client.Close(); _ = jump.Close() }, nil
}

// runRemote runs req.Command on the host in c through the remote user's shell.
func runRemote(ctx context.Context, c *connection, req runRequest) (runResult, error) {
	client, closeAll, err := connect(ctx, c, req.Warnf)
	if err != nil {
		return runResult{}, err
	}
	defer closeAll()
	session, err := client.NewSession()
	if err != nil {
		return runResult{}, fmt.Errorf("opening an SSH session on %s: %w", c.Host, err)
	}
	defer session.Close()

	for _, k := range sortedStrings(req.Environment) {
		if err := session.Setenv(k, req.Environment[k]); err != nil {
			return runResult{}, fmt.Errorf("the SSH server on %s refused environment variable %s (%v); "+
				"sshd passes only variables listed in its AcceptEnv setting", c.Host, k, err)
		}
	}
	var refused []string
	for _, k := range sortedStrings(req.Previous) {
		if err := session.Setenv(k, req.Previous[k]); err != nil {
			refused = append(refused, k)
		}
	}
	if len(refused) > 0 && req.Warnf != nil {
		req.Warnf("the SSH server on %s refused %s (not in sshd's AcceptEnv); the command runs without it",
			c.Host, strings.Join(refused, " and "))
	}
	if req.Stdin != nil {
		session.Stdin = strings.NewReader(*req.Stdin)
	}
	stdout, stderr := outputWriters(req)
	session.Stdout, session.Stderr = stdout, stderr

	// Cancellation (engine Cancel, Ctrl-C): drop the connection, which ends Run.
	stopWatch := context.AfterFunc(ctx, func() { closeAll() })
	runErr := session.Run(req.Command)
	stopWatch()
	res := runResult{Stdout: stdout.finish(), Stderr: stderr.finish()}
	if runErr != nil {
		if ctx.Err() != nil {
			runErr = fmt.Errorf("%w (%v)", ctx.Err(), runErr)
		}
		return res, commandError(runErr, res)
	}
	return res, nil
}

func sortedStrings(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
