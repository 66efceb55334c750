package main

// What local and remote execution share: the request, output capture with line streaming to the
// engine, and the error for a failed command.

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
)

// runRequest is one command to execute.
type runRequest struct {
	Command     string
	Stdin       *string
	Environment map[string]string
	// Previous holds PULUMI_COMMAND_STDOUT/STDERR (update and delete with addPreviousOutputInEnv).
	Previous map[string]string
	Logging  string
	// Logf streams one line of output to the engine (ephemeral info on the resource).
	Logf func(format string, args ...any)
	// Warnf reports a warning on the resource.
	Warnf func(format string, args ...any)
}

// runResult is what a command printed, with one trailing newline trimmed (as upstream does).
type runResult struct{ Stdout, Stderr string }

// lineWriter keeps everything written to it and hands complete lines to emit (if non-nil).
type lineWriter struct {
	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	emit    func(line string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	if w.emit == nil {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.emit(strings.TrimRight(string(w.partial[:i]), "\r"))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

// finish flushes a last unterminated line and returns all output, one trailing newline trimmed.
func (w *lineWriter) finish() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.emit != nil && len(w.partial) > 0 {
		w.emit(string(w.partial))
		w.partial = nil
	}
	return strings.TrimSuffix(w.all.String(), "\n")
}

// outputWriters returns the stdout and stderr writers for req, streaming what req.Logging asks for.
func outputWriters(req runRequest) (stdout, stderr *lineWriter) {
	stdout, stderr = &lineWriter{}, &lineWriter{}
	if req.Logf == nil {
		return stdout, stderr
	}
	if req.Logging == "stdout" || req.Logging == "stdoutAndStderr" {
		stdout.emit = func(line string) { req.Logf("%s", line) }
	}
	if req.Logging == "stderr" || req.Logging == "stdoutAndStderr" {
		stderr.emit = func(line string) { req.Logf("%s", line) }
	}
	return stdout, stderr
}

// commandError is the error for a command that ran and failed: the cause plus the tail of its
// output, so that the engine's message says why without the user digging through logs.
func commandError(cause error, res runResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "command failed: %v", cause)
	for _, o := range []struct{ name, text string }{{"stderr", res.Stderr}, {"stdout", res.Stdout}} {
		if t := tail(o.text, 20, 4096); t != "" {
			fmt.Fprintf(&b, "\n--- %s (last lines) ---\n%s", o.name, t)
		}
	}
	return fmt.Errorf("%s", b.String())
}

// tail returns at most the last maxLines lines and maxBytes bytes of s.
func tail(s string, maxLines, maxBytes int) string {
	s = strings.TrimRight(s, "\n")
	if len(s) > maxBytes {
		s = "..." + s[len(s)-maxBytes:]
	}
	lines := strings.Split(s, "\n")
	if len(lines) > maxLines {
		lines = append([]string{"..."}, lines[len(lines)-maxLines:]...)
	}
	return strings.Join(lines, "\n")
}
