package main

// local:Command: run the command through the interpreter (default /bin/sh -c) on this machine.

import (
	"context"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

func runLocal(ctx context.Context, a *commandArgs, req runRequest) (runResult, error) {
	argv := append(append([]string{}, a.Interpreter...), req.Command)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = a.Dir
	cmd.Env = os.Environ()
	for _, m := range []map[string]string{req.Previous, req.Environment} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cmd.Env = append(cmd.Env, k+"="+m[k])
		}
	}
	if req.Stdin != nil {
		cmd.Stdin = strings.NewReader(*req.Stdin)
	}
	stdout, stderr := outputWriters(req)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// On cancellation, stop the whole process group, not only the shell.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second

	runErr := cmd.Run()
	res := runResult{Stdout: stdout.finish(), Stderr: stderr.finish()}
	if runErr != nil {
		return res, commandError(runErr, res)
	}
	return res, nil
}
