// Command kubectl-commands writes kubectl's command tree as JSON: every command path with its
// aliases, whether it is hidden, and every flag cobra and pflag would accept on it (its own and
// the persistent ones it inherits), with whether the flag takes a value.
//
// The Breakfix console reads a learner's line with this table, so it must describe the very
// kubectl the console runs. platform/controlplane/build compiles this program inside the same
// wrapper module as kubectl (so cobra, pflag and kubectl are the exact same versions) and runs it
// once; nothing here talks to a server.
//
// The tree is built the way kubectl's main does it (k8s.io/kubectl/pkg/cmd.NewDefaultKubectlCommand,
// then the additions of k8s.io/component-base/cli.Run and of cobra's ExecuteC), with the
// environment the console gives kubectl: no KUBECTL_* switches, KUBERC=off, no PATH (no plugins).
//
// With -read it answers, for each JSON list of arguments on stdin, what cobra and pflag make of
// them on that tree (the command found, the flags set, the positional arguments, the error),
// one JSON object a line: the console's tests compare their own reading of every line with it.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/plugin"

	// As kubectl's main does: the auth plugins register nothing on the command line, but
	// importing them keeps this program's init order the same as kubectl's.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

type flagInfo struct {
	Name                string `json:"name"`
	Shorthand           string `json:"shorthand,omitempty"`
	Type                string `json:"type"`
	TakesValue          bool   `json:"takes_value"`
	NoOptDefault        string `json:"no_opt_default,omitempty"`
	Persistent          bool   `json:"persistent,omitempty"`
	Hidden              bool   `json:"hidden,omitempty"`
	Deprecated          bool   `json:"deprecated,omitempty"`
	ShorthandDeprecated bool   `json:"shorthand_deprecated,omitempty"`
}

type commandInfo struct {
	Path    []string `json:"path"`
	Use     string   `json:"use"`
	Aliases []string `json:"aliases,omitempty"`
	Hidden  bool     `json:"hidden,omitempty"`
	// Runnable: it does something itself (else it prints help for its sub-commands).
	Runnable           bool `json:"runnable"`
	DisableFlagParsing bool `json:"disable_flag_parsing,omitempty"`
	// The usage line names a COMMAND after `--`: what follows `--` runs in a container.
	CommandAfterDash bool `json:"command_after_dash,omitempty"`
	// The flags this command declares (its local and persistent ones).
	Flags []flagInfo `json:"flags"`
	// The names of the persistent flags it inherits, found on its nearest ancestor that
	// declares them (cobra's mergePersistentFlags): the flags of this command at parse time
	// are `flags` plus these.
	Inherited []string `json:"inherited"`
}

type table struct {
	Kubectl   string            `json:"kubectl"`
	Modules   map[string]string `json:"modules"`
	Generator string            `json:"generator_sha256"`
	// What pflag makes of a flag name through the normalization kubectl sets on every command
	// (cliflag.WordSepNormalizeFunc): sample name -> normalized name.
	Normalization map[string]string `json:"normalization"`
	// Flags cobra adds to the command it executes, after the command path has been found
	// (InitDefaultHelpFlag): known when flags are parsed, unknown while the path is searched.
	ExecuteFlags []flagInfo    `json:"execute_flags"`
	Commands     []commandInfo `json:"commands"`
}

func describe(f *pflag.Flag, persistent bool) flagInfo {
	return flagInfo{
		Name:                f.Name,
		Shorthand:           f.Shorthand,
		Type:                f.Value.Type(),
		TakesValue:          f.NoOptDefVal == "",
		NoOptDefault:        f.NoOptDefVal,
		Persistent:          persistent,
		Hidden:              f.Hidden,
		Deprecated:          f.Deprecated != "",
		ShorthandDeprecated: f.ShorthandDeprecated != "",
	}
}

func names(fs *pflag.FlagSet) map[string]*pflag.Flag {
	found := map[string]*pflag.Flag{}
	fs.VisitAll(func(f *pflag.Flag) { found[f.Name] = f })
	return found
}

func sortedKeys(m map[string]*pflag.Flag) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func path(c *cobra.Command) []string {
	parts := []string{}
	for ; c.HasParent(); c = c.Parent() {
		parts = append([]string{c.Name()}, parts...)
	}
	return parts
}

// build returns kubectl's root command as kubectl's main would run it.
func build() *cobra.Command {
	ioStreams := cmd.KubectlOptions{}.IOStreams
	ioStreams.In, ioStreams.Out, ioStreams.ErrOut = bytes.NewReader(nil), io.Discard, io.Discard
	root := cmd.NewDefaultKubectlCommandWithArgs(cmd.KubectlOptions{
		PluginHandler: cmd.NewDefaultPluginHandler(plugin.ValidPluginFilenamePrefixes),
		Arguments:     []string{"kubectl"},
		IOStreams:     ioStreams,
	})
	// What component-base/cli.run, which kubectl's main calls, adds before it executes.
	root.SetGlobalNormalizationFunc(cliflag.WordSepNormalizeFunc)
	logs.AddFlags(root.PersistentFlags())
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	return root
}

// tree returns the command tree cobra's ExecuteC searches: kubectl's, plus the help command,
// the default completion command (kubectl has its own, so none) and the hidden __complete
// command. ExecuteC adds __complete only when the line asks for it, and only inside ExecuteC;
// so one harmless completion runs on a second tree, and its __complete moves over.
func tree() *cobra.Command {
	root := build()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()

	donor := build()
	donor.SetArgs([]string{cobra.ShellCompNoDescRequestCmd, "__breakfix_no_such_command__"})
	if err := donor.Execute(); err != nil {
		fail("running a completion to let cobra add __complete: %v", err)
	}
	for _, c := range donor.Commands() {
		if c.Name() == cobra.ShellCompRequestCmd {
			donor.RemoveCommand(c)
			root.AddCommand(c)
			return root
		}
	}
	fail("cobra added no %s command", cobra.ShellCompRequestCmd)
	return nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kubectl-commands: "+format+"\n", args...)
	os.Exit(1)
}

func modules() map[string]string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fail("no build information in this binary")
	}
	wanted := map[string]bool{
		"github.com/spf13/cobra": true, "github.com/spf13/pflag": true, "k8s.io/kubectl": true,
		"k8s.io/component-base": true, "k8s.io/cli-runtime": true, "k8s.io/kubernetes": true,
	}
	found := map[string]string{}
	for _, dep := range info.Deps {
		if !wanted[dep.Path] {
			continue
		}
		if dep.Replace != nil {
			dep = dep.Replace
		}
		found[dep.Path] = dep.Version
	}
	return found
}

type reading struct {
	Path       []string          `json:"path"`
	FindError  string            `json:"find_error,omitempty"`
	ParseError string            `json:"parse_error,omitempty"`
	Changed    map[string]string `json:"changed"`
	Args       []string          `json:"args"`
	DashAt     int               `json:"dash_at"`
}

// read answers what cobra's ExecuteC would find and parse for each line of arguments, up to
// the point where it runs the command. Every line gets a fresh tree: parsing sets flags.
func read() {
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 1<<24)
	out := json.NewEncoder(os.Stdout)
	for scanner.Scan() {
		var args []string
		if err := json.Unmarshal(scanner.Bytes(), &args); err != nil {
			fail("-read: %v", err)
		}
		root := tree()
		r := reading{Path: []string{}, Changed: map[string]string{}, Args: []string{}, DashAt: -1}
		found, rest, err := root.Find(args)
		if found != nil {
			r.Path = path(found)
		}
		if err != nil {
			r.FindError = err.Error()
		} else {
			found.InitDefaultHelpFlag()
			found.InitDefaultVersionFlag()
			if err := found.ParseFlags(rest); err != nil {
				r.ParseError = err.Error()
			}
			found.Flags().Visit(func(f *pflag.Flag) { r.Changed[f.Name] = f.Value.String() })
			if found.DisableFlagParsing {
				r.Args = append(r.Args, rest...)
			} else {
				r.Args = append(r.Args, found.Flags().Args()...)
				r.DashAt = found.ArgsLenAtDash()
			}
		}
		if err := out.Encode(r); err != nil {
			fail("-read: %v", err)
		}
	}
	if err := scanner.Err(); err != nil {
		fail("-read: %v", err)
	}
}

// environment gives this process the environment the console gives kubectl and nothing else:
// feature switches (KUBECTL_*) change the tree, so none may leak in from the build's. It
// returns the temporary HOME, for the caller to remove.
func environment() string {
	os.Clearenv()
	home, err := os.MkdirTemp("", "kubectl-commands-")
	if err != nil {
		fail("%v", err)
	}
	for key, value := range map[string]string{"HOME": home, "KUBERC": "off", "PATH": "/nonexistent"} {
		os.Setenv(key, value)
	}
	return home
}

func main() {
	output := flag.String("o", "", "write the table here (default: stdout)")
	source := flag.String("source", "", "this program's main.go, whose SHA-256 the table records")
	version := flag.String("kubectl-version", "", "the kubectl version this table describes (vX.Y.Z)")
	reader := flag.Bool("read", false, "read JSON lists of arguments on stdin, answer what kubectl reads")
	flag.Parse()
	if *reader {
		defer os.RemoveAll(environment())
		read()
		return
	}
	if *version == "" || *source == "" {
		fail("usage: kubectl-commands -kubectl-version vX.Y.Z -source main.go [-o FILE]")
	}
	text, err := os.ReadFile(*source)
	if err != nil {
		fail("%v", err)
	}
	digest := sha256.Sum256(text)

	defer os.RemoveAll(environment())

	root := tree()
	var all []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		all = append(all, c)
		for _, child := range c.Commands() {
			walk(child)
		}
	}
	walk(root)

	t := table{Kubectl: *version, Modules: modules(), Generator: hex.EncodeToString(digest[:])}
	t.Normalization = map[string]string{}
	for _, sample := range []string{"from_file", "from__file", "From_File", "from-file", "from.file", "_from_file_"} {
		t.Normalization[sample] = string(root.Flags().GetNormalizeFunc()(root.Flags(), sample))
	}
	for _, c := range all {
		// kubectl's normalization reaches every command's flags (cobra's SetGlobalNormalizationFunc).
		if got := string(c.Flags().GetNormalizeFunc()(c.Flags(), "a_b")); got != "a-b" {
			fail("%v normalizes a_b to %q", path(c), got)
		}
		// InheritedFlags runs cobra's mergePersistentFlags, exactly as Find and ParseFlags do.
		inherited := names(c.InheritedFlags())
		declaredPersistent := names(c.PersistentFlags())
		local := names(c.LocalNonPersistentFlags())
		info := commandInfo{
			Path:               path(c),
			Use:                c.Use,
			Aliases:            append([]string{}, c.Aliases...),
			Hidden:             c.Hidden,
			Runnable:           c.Runnable(),
			DisableFlagParsing: c.DisableFlagParsing,
			CommandAfterDash:   strings.Contains(c.Use, "-- COMMAND") || strings.Contains(c.Use, "-- [COMMAND]"),
			Flags:              []flagInfo{},
			Inherited:          []string{},
		}
		for _, name := range sortedKeys(local) {
			info.Flags = append(info.Flags, describe(local[name], false))
		}
		for _, name := range sortedKeys(declaredPersistent) {
			info.Flags = append(info.Flags, describe(declaredPersistent[name], true))
		}
		effective := names(c.Flags())
		for _, name := range sortedKeys(inherited) {
			if _, own := local[name]; own {
				continue
			}
			if _, own := declaredPersistent[name]; own {
				continue
			}
			info.Inherited = append(info.Inherited, name)
		}
		// Every flag the command parses is accounted for, once.
		if len(effective) != len(local)+len(declaredPersistent)+len(info.Inherited) {
			fail("%v: %d flags at parse time, %d local, %d persistent, %d inherited", info.Path,
				len(effective), len(local), len(declaredPersistent), len(info.Inherited))
		}
		t.Commands = append(t.Commands, info)
	}

	// The flags cobra adds when it executes a command: the same for every command, or the
	// table cannot describe them once.
	for i, c := range all {
		before := names(c.Flags())
		c.InitDefaultHelpFlag()
		c.InitDefaultVersionFlag()
		var added []flagInfo
		after := names(c.Flags())
		for _, name := range sortedKeys(after) {
			if _, there := before[name]; !there {
				added = append(added, describe(after[name], false))
			}
		}
		if i == 0 {
			t.ExecuteFlags = added
		} else if fmt.Sprint(added) != fmt.Sprint(t.ExecuteFlags) && !c.DisableFlagParsing {
			fail("%v: cobra adds %v at execution, the root %v", path(c), added, t.ExecuteFlags)
		}
	}

	encoded, err := json.MarshalIndent(t, "", " ")
	if err != nil {
		fail("%v", err)
	}
	encoded = append(encoded, '\n')
	if *output == "" {
		os.Stdout.Write(encoded)
		return
	}
	if err := os.WriteFile(*output, encoded, 0o644); err != nil {
		fail("%v", err)
	}
}
