// Command pulumi-resource-command is labfabric's own, minimal implementation of the Pulumi
// "command" resource provider, written because the upstream plugin (github.com/pulumi/
// pulumi-command/provider) cannot be downloaded or built from the Go module proxy reachable from
// our machines. It is NOT upstream's code and implements only what labfabric uses:
//
//	command:remote:Command  run a command over SSH on create/update/delete
//	command:local:Command   run a command locally (no assetPaths/archivePaths)
//
// It speaks the engine's ResourceProvider gRPC protocol and is wire-compatible with the
// @pulumi/command 1.2.1 SDKs for those two resources: same type tokens, property names, defaults,
// diff semantics (triggers replace, everything else updates in place) and outputs (all inputs
// plus stdout and stderr, with the connection kept secret). It reports version 1.2.1 so that the
// engine picks it for programs that depend on @pulumi/command 1.2.1.
//
// The engine starts it as `pulumi-resource-command [--logtostderr] [-v=N] [--tracing URL]
// ENGINE_ADDRESS`; it prints the port it serves gRPC on as the first line of stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// version is the provider version reported to the engine; the engine only loads a plugin whose
// version matches the one the SDK asks for. Overridable at link time (-X main.version=...).
var version = "1.2.1"

func main() {
	// --logtostderr and -v are registered by glog, which the Pulumi SDK pulls in.
	if flag.Lookup("logtostderr") == nil {
		flag.Bool("logtostderr", false, "log to stderr")
	}
	if flag.Lookup("v") == nil {
		flag.Int("v", 0, "log verbosity")
	}
	flag.String("tracing", "", "emit tracing to a Zipkin-compatible endpoint (ignored)")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	dumpStacksOnSignal()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newProvider(ctx)
	if args := flag.Args(); len(args) > 0 {
		p.setEngine(args[0])
		// Stop when the engine goes away, as upstream providers do.
		go func() {
			_ = rpcutil.Healthcheck(ctx, args[0], 5*time.Minute, cancel)
		}()
	}

	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stop)
	}()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, p)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: could not start the command provider's RPC server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "fatal: command provider RPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

// dumpStacksOnSignal writes every goroutine's stack to $TMPDIR/pulumi-resource-command-<pid>.stacks
// on SIGUSR1: the engine keeps a plugin's stderr, so this is how to see what a stuck step is doing.
func dumpStacksOnSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	go func() {
		for range ch {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			path := filepath.Join(os.TempDir(), fmt.Sprintf("pulumi-resource-command-%d.stacks", os.Getpid()))
			_ = os.WriteFile(path, buf[:n], 0o600)
		}
	}()
}
