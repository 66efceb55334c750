package main

// Decoding and validating the property bags the @pulumi/command 1.2.1 SDK sends.

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const (
	remoteCommandType = "command:remote:Command"
	localCommandType  = "command:local:Command"
)

// Property names, exactly as the SDK sends them (node_modules/@pulumi/command/{remote,local}/command.js).
var (
	commonInputs = []string{
		"addPreviousOutputInEnv", "create", "delete", "environment", "logging", "stdin", "triggers", "update",
	}
	remoteInputs = append([]string{"connection"}, commonInputs...)
	localInputs  = append([]string{"dir", "interpreter", "assetPaths", "archivePaths"}, commonInputs...)
	// Outputs that are not inputs. local:Command's archive/assets are never produced here.
	outputOnly = map[string]bool{"stdout": true, "stderr": true, "archive": true, "assets": true}

	connectionFields = []string{
		"host", "port", "user", "password", "privateKey", "privateKeyPassword", "agentSocketPath", "hostKey",
		"dialErrorLimit", "perDialTimeout", "proxy",
	}
	loggingModes = []string{"stdout", "stderr", "stdoutAndStderr", "none"}
)

func inputKeys(typ string) []string {
	switch typ {
	case remoteCommandType:
		return remoteInputs
	case localCommandType:
		return localInputs
	}
	return nil
}

// connection is remote:Command's `connection` (and, without Proxy, its `proxy`), defaults applied.
type connection struct {
	Host               string
	Port               int
	User               string
	Password           string
	PrivateKey         string
	PrivateKeyPassword string
	AgentSocketPath    string
	HostKey            string
	DialErrorLimit     int // -1 = unlimited
	PerDialTimeout     int // seconds
	Proxy              *connection
}

// commandArgs holds the decoded inputs of either resource type.
type commandArgs struct {
	Create, Update, Delete string
	Stdin                  *string
	Environment            map[string]string
	AddPreviousOutputInEnv bool
	Logging                string

	Connection *connection // remote:Command

	Dir         string   // local:Command
	Interpreter []string // local:Command
}

// decoder collects validation failures; values that are unknown (preview) are skipped.
type decoder struct {
	failures []checkFailure
}

type checkFailure struct{ property, reason string }

func (d *decoder) fail(prop, format string, args ...any) {
	d.failures = append(d.failures, checkFailure{prop, fmt.Sprintf(format, args...)})
}

func (d *decoder) err() error {
	if len(d.failures) == 0 {
		return nil
	}
	msgs := make([]string, len(d.failures))
	for i, f := range d.failures {
		msgs[i] = f.property + ": " + f.reason
	}
	return fmt.Errorf("invalid inputs: %s", strings.Join(msgs, "; "))
}

// plain strips secret wrappers (at this level only; nested values are unwrapped as they are read).
func plain(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsOutput() {
		o := v.OutputValue()
		if !o.Known {
			return resource.MakeComputed(resource.NewProperty(""))
		}
		v = o.Element
	}
	return v
}

// get returns the property (unwrapped) and whether it is set, i.e. present and not null.
func get(m resource.PropertyMap, key string) (resource.PropertyValue, bool) {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return v, false
	}
	v = plain(v)
	return v, !v.IsNull()
}

func (d *decoder) str(m resource.PropertyMap, prefix, key string) string {
	v, ok := get(m, key)
	switch {
	case !ok || v.IsComputed():
		return ""
	case v.IsString():
		return v.StringValue()
	}
	d.fail(prefix+key, "must be a string, got %s", v.TypeString())
	return ""
}

func (d *decoder) integer(m resource.PropertyMap, prefix, key string, def int) int {
	v, ok := get(m, key)
	switch {
	case !ok || v.IsComputed():
		return def
	case v.IsNumber() && v.NumberValue() == math.Trunc(v.NumberValue()):
		return int(v.NumberValue())
	}
	d.fail(prefix+key, "must be an integer, got %v", v)
	return def
}

func (d *decoder) boolean(m resource.PropertyMap, prefix, key string, def bool) bool {
	v, ok := get(m, key)
	switch {
	case !ok || v.IsComputed():
		return def
	case v.IsBool():
		return v.BoolValue()
	}
	d.fail(prefix+key, "must be a boolean, got %s", v.TypeString())
	return def
}

func (d *decoder) stringList(m resource.PropertyMap, key string) []string {
	v, ok := get(m, key)
	if !ok || v.IsComputed() {
		return nil
	}
	if !v.IsArray() {
		d.fail(key, "must be a list of strings, got %s", v.TypeString())
		return nil
	}
	var out []string
	for i, e := range v.ArrayValue() {
		e = plain(e)
		if e.IsComputed() {
			continue
		}
		if !e.IsString() {
			d.fail(fmt.Sprintf("%s[%d]", key, i), "must be a string, got %s", e.TypeString())
			continue
		}
		out = append(out, e.StringValue())
	}
	return out
}

func (d *decoder) stringMap(m resource.PropertyMap, key string) map[string]string {
	v, ok := get(m, key)
	if !ok || v.IsComputed() {
		return nil
	}
	if !v.IsObject() {
		d.fail(key, "must be a map of strings, got %s", v.TypeString())
		return nil
	}
	out := map[string]string{}
	for k, e := range v.ObjectValue() {
		e = plain(e)
		switch {
		case e.IsComputed():
		case e.IsString():
			out[string(k)] = e.StringValue()
		default:
			d.fail(key+"."+string(k), "must be a string, got %s", e.TypeString())
		}
	}
	return out
}

func (d *decoder) connection(m resource.PropertyMap, prefix string, allowProxy bool) *connection {
	for _, k := range sortedKeys(m) {
		if !contains(connectionFields, k) || (k == "proxy" && !allowProxy) {
			d.fail(prefix+k, "unknown connection property (supported: %s)", strings.Join(connectionFields, ", "))
		}
	}
	c := &connection{
		Host:               d.str(m, prefix, "host"),
		Port:               d.integer(m, prefix, "port", 22),
		User:               d.str(m, prefix, "user"),
		Password:           d.str(m, prefix, "password"),
		PrivateKey:         d.str(m, prefix, "privateKey"),
		PrivateKeyPassword: d.str(m, prefix, "privateKeyPassword"),
		AgentSocketPath:    d.str(m, prefix, "agentSocketPath"),
		HostKey:            d.str(m, prefix, "hostKey"),
		DialErrorLimit:     d.integer(m, prefix, "dialErrorLimit", 10),
		PerDialTimeout:     d.integer(m, prefix, "perDialTimeout", 15),
	}
	if c.User == "" {
		c.User = "root"
	}
	if v, ok := get(m, "host"); !ok {
		d.fail(prefix+"host", "is required")
	} else if !v.IsComputed() && c.Host == "" {
		d.fail(prefix+"host", "must not be empty")
	}
	if c.Port < 1 || c.Port > 65535 {
		d.fail(prefix+"port", "must be between 1 and 65535, got %d", c.Port)
	}
	if c.DialErrorLimit == 0 || c.DialErrorLimit < -1 {
		d.fail(prefix+"dialErrorLimit", "must be -1 (unlimited) or at least 1, got %d", c.DialErrorLimit)
	}
	if c.PerDialTimeout < 1 {
		d.fail(prefix+"perDialTimeout", "must be at least 1 (seconds), got %d", c.PerDialTimeout)
	}
	if v, ok := get(m, "proxy"); ok && allowProxy && !v.IsComputed() {
		if !v.IsObject() {
			d.fail(prefix+"proxy", "must be an object, got %s", v.TypeString())
		} else {
			c.Proxy = d.connection(v.ObjectValue(), prefix+"proxy.", false)
		}
	}
	return c
}

// decodeArgs decodes and validates the inputs of a resource of type typ. With strict, unknown
// top-level properties are failures (Check); otherwise they are ignored (state from the engine).
func decodeArgs(typ string, m resource.PropertyMap, strict bool) (*commandArgs, []checkFailure) {
	d := &decoder{}
	keys := inputKeys(typ)
	if keys == nil {
		d.fail("", "resource type %q is not implemented by labfabric's command provider "+
			"(it implements %s and %s only)", typ, remoteCommandType, localCommandType)
		return nil, d.failures
	}
	if strict {
		for _, k := range sortedKeys(m) {
			if !contains(keys, k) && !outputOnly[k] && !strings.HasPrefix(k, "__") {
				d.fail(k, "unknown property for %s", typ)
			}
		}
	}
	a := &commandArgs{
		Create:                 d.str(m, "", "create"),
		Update:                 d.str(m, "", "update"),
		Delete:                 d.str(m, "", "delete"),
		Environment:            d.stringMap(m, "environment"),
		AddPreviousOutputInEnv: d.boolean(m, "", "addPreviousOutputInEnv", true),
		Logging:                d.str(m, "", "logging"),
	}
	if v, ok := get(m, "stdin"); ok && !v.IsComputed() {
		s := d.str(m, "", "stdin")
		a.Stdin = &s
	}
	if a.Logging == "" {
		a.Logging = "stdoutAndStderr"
	} else if !contains(loggingModes, a.Logging) {
		d.fail("logging", "must be one of %s, got %q", strings.Join(loggingModes, ", "), a.Logging)
	}
	if v, ok := get(m, "triggers"); ok && !v.IsComputed() && !v.IsArray() {
		d.fail("triggers", "must be a list, got %s", v.TypeString())
	}

	switch typ {
	case remoteCommandType:
		v, ok := get(m, "connection")
		switch {
		case !ok:
			d.fail("connection", "is required")
		case v.IsComputed():
		case !v.IsObject():
			d.fail("connection", "must be an object, got %s", v.TypeString())
		default:
			a.Connection = d.connection(v.ObjectValue(), "connection.", true)
		}
	case localCommandType:
		a.Dir = d.str(m, "", "dir")
		a.Interpreter = d.stringList(m, "interpreter")
		if v, ok := get(m, "interpreter"); ok && !v.IsComputed() && len(a.Interpreter) == 0 {
			d.fail("interpreter", "must not be empty")
		}
		if len(a.Interpreter) == 0 {
			a.Interpreter = []string{"/bin/sh", "-c"}
		}
		for _, k := range []string{"assetPaths", "archivePaths"} {
			if _, ok := get(m, k); ok {
				d.fail(k, "is not supported by labfabric's command provider (no assets/archive outputs)")
			}
		}
	}
	return a, d.failures
}

func sortedKeys(m resource.PropertyMap) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
