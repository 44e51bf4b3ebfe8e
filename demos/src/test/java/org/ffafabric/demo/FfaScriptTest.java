package org.ffafabric.demo;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The ./ffa script as users on odd setups run it. Each test copies the script into a checkout of its own
 * whose jars are a stub that prints its arguments, with a stub mvn that "builds" by copying that stub in:
 * no test here runs Maven or the real tool.
 */
class FfaScriptTest
{
    private static final Path SCRIPT = Path.of("..", "ffa");

    @TempDir
    Path tmp;
    private Path checkout;
    private Path stubJar;
    private Path mvnLog;
    private Path mvnArgs;
    private Path buildGate;
    private Path bin;

    @BeforeEach
    void checkoutWithAStubTool() throws Exception
    {
        // A space and a non-ASCII letter in the path, as in a user's "~/My Projects/ffa-über".
        checkout = Files.createDirectories(tmp.resolve("check out ü"));
        Files.copy(SCRIPT, checkout.resolve("ffa"));
        makeExecutable(checkout.resolve("ffa"));
        Files.writeString(checkout.resolve("pom.xml"), "<project/>\n");
        Files.createDirectories(checkout.resolve("demos/src"));
        Files.writeString(checkout.resolve("demos/src/Source.java"), "\n");
        stubJar = stubJar(Files.createDirectories(tmp.resolve("stub")));

        bin = Files.createDirectories(tmp.resolve("bin"));
        mvnLog = tmp.resolve("mvn.log");
        mvnArgs = tmp.resolve("mvn.args");
        buildGate = tmp.resolve("build-may-end");
        // Builds as the real one would, in the directory it is run in; a build that a test holds open
        // (it made the gate file and removes it to let go) ends only once let go.
        writeScript(bin.resolve("mvn"),
            "#!/usr/bin/env bash",
            "[[ -f pom.xml ]] || { echo \"stub mvn: no pom.xml in $PWD\" >&2; exit 1; }",
            "echo \"$PWD\" >> '" + mvnLog + "'",
            "printf '%s\\n' \"MAVEN_OPTS=${MAVEN_OPTS:-}\" \"$@\" > '" + mvnArgs + "'",
            "for i in $(seq 600); do [[ -f '" + buildGate + "' ]] || break; sleep 0.1; done",
            "mkdir -p demos/target bench/target",
            "cp '" + stubJar + "' demos/target/ffa.jar.tmp && mv demos/target/ffa.jar.tmp demos/target/ffa.jar",
            "cp '" + stubJar + "' bench/target/ffa-bench.jar.tmp && mv bench/target/ffa-bench.jar.tmp bench/target/ffa-bench.jar");
    }

    @Test
    @Timeout(60)
    void runsThroughASymbolicLinkFromAnotherDirectory() throws Exception
    {
        // It looked for its jars beside the link, and ran mvn there: "there is no POM in this directory".
        builtJars();
        final Path link = Files.createDirectories(tmp.resolve("links")).resolve("ffa");
        Files.createSymbolicLink(link, checkout.resolve("ffa"));
        final Result run = run(List.of(link.toString(), "partitions"), Map.of());
        assertEquals(0, run.exit, run.err);
        assertEquals("stub ran: partitions", run.out.strip(), run.err);
        assertFalse(Files.exists(mvnLog), "nothing to build");
    }

    @Test
    @Timeout(60)
    void runUnderShRunsAsBash() throws Exception
    {
        // sh ffa answered "set: Illegal option -o pipefail".
        builtJars();
        final Result run = run(List.of("sh", checkout.resolve("ffa").toString(), "--version"), Map.of());
        assertEquals(0, run.exit, run.err);
        assertEquals("stub ran: --version", run.out.strip(), run.err);
    }

    @Test
    @Timeout(60)
    void aJavaHomeWithoutJavaIsToldInOneLine() throws Exception
    {
        // It exited 127 and said nothing: the error went into the pipe that reads the Java version.
        builtJars();
        final Result run = run(List.of(checkout.resolve("ffa").toString(), "--version"),
            Map.of("JAVA_HOME", tmp.resolve("no-jdk-here").toString()));
        assertEquals(1, run.exit, run.err);
        assertOneLine(run.err);
        assertTrue(run.err.contains("JAVA_HOME") && run.err.contains("no-jdk-here"), run.err);
    }

    @Test
    @Timeout(60)
    void noJavaOnThePathIsToldInOneLine() throws Exception
    {
        builtJars();
        final Result run = run(List.of(checkout.resolve("ffa").toString(), "--version"),
            Map.of("JAVA_HOME", "", "PATH", pathWithout("java", "mvn")));
        assertEquals(1, run.exit, run.err);
        assertOneLine(run.err);
        assertTrue(run.err.contains("java"), run.err);
    }

    @Test
    @Timeout(60)
    void aJavaOlderThan17IsToldInOneLine() throws Exception
    {
        // It would start it, and the jar's classes fail with an UnsupportedClassVersionError trace.
        builtJars();
        final Path oldJdk = Files.createDirectories(tmp.resolve("jdk-11/bin"));
        writeScript(oldJdk.resolve("java"),
            "#!/usr/bin/env bash",
            "echo '    java.specification.version = 11' >&2",
            "echo 'stub java 11 ran the tool'");
        final Result run = run(List.of(checkout.resolve("ffa").toString(), "--version"),
            Map.of("JAVA_HOME", oldJdk.getParent().toString()));
        assertEquals(1, run.exit, run.out + run.err);
        assertOneLine(run.err);
        assertTrue(run.err.contains("17"), run.err);
        assertEquals("", run.out);
    }

    @Test
    @Timeout(60)
    void noJarsAndNoMvnIsToldInOneLine() throws Exception
    {
        // It said "ffa: building..." and then "line 16: mvn: command not found", status 127.
        final Result run = run(List.of(checkout.resolve("ffa").toString(), "--version"),
            Map.of("PATH", pathWithout("mvn")));
        assertEquals(1, run.exit, run.err);
        assertOneLine(run.err);
        assertTrue(run.err.contains("mvn"), run.err);
    }

    @Test
    @Timeout(60)
    void staleJarsAndNoMvnRunTheJarsAsTheyAreSayingSo() throws Exception
    {
        builtJars();
        // Edited after the build, and not in the future.
        Files.setLastModifiedTime(checkout.resolve("demos/src/Source.java"), FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        final Result run = run(List.of(checkout.resolve("ffa").toString(), "--version"),
            Map.of("PATH", pathWithout("mvn")));
        assertEquals(0, run.exit, run.err);
        assertEquals("stub ran: --version", run.out.strip(), run.err);
        assertOneLine(run.err);
        assertTrue(run.err.contains("mvn"), run.err);
    }

    @Test
    @Timeout(120)
    void twoRunsOfAnUnbuiltCheckoutBuildOnce() throws Exception
    {
        // Both ran mvn package in the same target directories at once: one failed with pages of
        // "error reading .../jmh_generated/...java", as `./ffa pm ... & ./ffa host ...` after a pull would.
        final List<Process> runs = new ArrayList<>();
        final List<Path> errs = new ArrayList<>();
        // The first build is held open until the second run has either waited for it or built beside it.
        Files.createFile(buildGate);
        for (int i = 0; i < 2; i++)
        {
            final Path err = tmp.resolve("err-" + i);
            errs.add(err);
            runs.add(builder(List.of(checkout.resolve("ffa").toString(), "run-" + i), Map.of())
                .redirectOutput(tmp.resolve("out-" + i).toFile()).redirectError(err.toFile()).start());
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(50);
        while (!(linesOf(mvnLog) == 2 || errs.stream().anyMatch(err -> contains(err, "waiting for another ./ffa's build"))))
        {
            assertTrue(System.nanoTime() < deadline, "the second run neither waited for the first build nor built");
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        Files.delete(buildGate);
        for (int i = 0; i < 2; i++)
        {
            assertTrue(runs.get(i).waitFor(60, TimeUnit.SECONDS), "run " + i + " ends");
            assertEquals(0, runs.get(i).exitValue(), Files.readString(errs.get(i)));
            assertEquals("stub ran: run-" + i, Files.readString(tmp.resolve("out-" + i)).strip());
        }
        assertEquals(List.of(checkout.toString()), Files.readAllLines(mvnLog), "mvn ran once, in the checkout");
    }

    /** The build asks for no colour (the reset codes Maven's Jansi writes as it ends: {@code MavenOutputTest}). */
    @Test
    @Timeout(60)
    void theBuildAsksMavenForNoColour() throws Exception
    {
        final Result run = run(List.of(checkout.resolve("ffa").toString(), "--version"),
            Map.of("MAVEN_OPTS", "-Xmx1g"));
        assertEquals(0, run.exit, run.err);
        assertEquals("stub ran: --version", run.out.strip(), run.err);
        final List<String> args = Files.readAllLines(mvnArgs);
        assertTrue(args.contains("-B") && args.contains("-Dstyle.color=never"), args::toString);
        // Kept first: on JDK 24+ (the test's own JAVA_HOME, say) the script adds its flag after it.
        assertTrue(args.get(0).equals("MAVEN_OPTS=-Xmx1g") || args.get(0).startsWith("MAVEN_OPTS=-Xmx1g "),
            "the user's MAVEN_OPTS kept: " + args.get(0));
    }

    @Test
    @Timeout(60)
    void onJdk24AndLaterTheBuildAndTheToolAllowUnsafeMemoryAccess() throws Exception
    {
        // The build began with four lines of "WARNING: A terminally deprecated method in sun.misc.Unsafe has been
        // called" from Maven's own Guava, as if it were failing.
        final Path jdk = Files.createDirectories(tmp.resolve("jdk-25/bin"));
        writeScript(jdk.resolve("java"),
            "#!/usr/bin/env bash",
            "[[ $1 == -XshowSettings:properties ]] && { echo '    java.specification.version = 25' >&2; exit 0; }",
            "echo \"stub java 25 ran: $*\"");
        final Result run = run(List.of(checkout.resolve("ffa").toString(), "--version"),
            Map.of("JAVA_HOME", jdk.getParent().toString(), "MAVEN_OPTS", "-Xmx1g"));
        assertEquals(0, run.exit, run.err);
        assertEquals("MAVEN_OPTS=-Xmx1g --sun-misc-unsafe-memory-access=allow", Files.readAllLines(mvnArgs).get(0));
        assertTrue(run.out.contains("--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow") &&
            run.out.strip().endsWith("ffa.jar --version"), run.out);
    }

    @Test
    @Timeout(60)
    void aSourceDatedInTheFutureIsNamed() throws Exception
    {
        // Every run rebuilt (9 to 30 s each), in silence, until the clock passed the file's time: a
        // checkout unpacked from a machine whose clock is ahead, or a skewed NFS server.
        builtJars();
        final Path future = checkout.resolve("demos/src/Source.java");
        Files.setLastModifiedTime(future, FileTime.fromMillis(System.currentTimeMillis() + 3_600_000));
        final Result run = run(List.of(checkout.resolve("ffa").toString(), "--version"), Map.of());
        assertEquals(0, run.exit, run.err);
        assertEquals("stub ran: --version", run.out.strip(), run.err);
        assertTrue(run.err.lines().anyMatch(line -> line.startsWith("ffa: ") && line.contains(future.toString()) &&
            line.contains("future")), run.err);
    }

    /** Jars newer than every source, as after a build. */
    private void builtJars() throws IOException
    {
        final FileTime before = FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
        Files.setLastModifiedTime(checkout.resolve("pom.xml"), before);
        Files.setLastModifiedTime(checkout.resolve("demos/src/Source.java"), before);
        for (final String jar : new String[] { "demos/target/ffa.jar", "bench/target/ffa-bench.jar" })
        {
            final Path target = checkout.resolve(jar);
            Files.createDirectories(target.getParent());
            Files.copy(stubJar, target);
            Files.setLastModifiedTime(target, FileTime.fromMillis(System.currentTimeMillis() - 1_800_000));
        }
    }

    /** A jar whose main prints "stub ran: ARGS". */
    private static Path stubJar(final Path dir) throws IOException
    {
        final Path source = Files.writeString(dir.resolve("Stub.java"),
            "public class Stub { public static void main(String[] a) { System.out.println(\"stub ran: \" + String.join(\" \", a)); } }");
        assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null,
            "--release", "17", "-d", dir.toString(), source.toString()), "the stub compiles");
        final Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "Stub");
        final Path jar = dir.resolve("stub.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out, manifest))
        {
            jarOut.putNextEntry(new JarEntry("Stub.class"));
            jarOut.write(Files.readAllBytes(dir.resolve("Stub.class")));
            jarOut.closeEntry();
        }
        return jar;
    }

    /** A PATH with every command of this one but those named, each a link in a directory of its own. */
    private String pathWithout(final String... names) throws IOException
    {
        final Path farm = Files.createDirectories(tmp.resolve("path-without-" + String.join("-", names)));
        for (final String dir : System.getenv("PATH").split(File.pathSeparator))
        {
            final File[] entries = dir.isEmpty() ? null : new File(dir).listFiles();
            for (final File entry : entries != null ? entries : new File[0])
            {
                final Path link = farm.resolve(entry.getName());
                if (!List.of(names).contains(entry.getName()) && entry.canExecute() && !Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                {
                    Files.createSymbolicLink(link, entry.toPath().toAbsolutePath());
                }
            }
        }
        return farm.toString();
    }

    private ProcessBuilder builder(final List<String> command, final Map<String, String> env)
    {
        final ProcessBuilder builder = new ProcessBuilder(command).directory(tmp.toFile());
        builder.environment().put("PATH", bin + File.pathSeparator + System.getenv("PATH"));
        // The JDK running the tests, unless a test says otherwise.
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().putAll(env);
        if ("".equals(env.get("JAVA_HOME")))
        {
            builder.environment().remove("JAVA_HOME");
        }
        return builder;
    }

    private Result run(final List<String> command, final Map<String, String> env) throws Exception
    {
        final Path out = tmp.resolve("out");
        final Path err = tmp.resolve("err");
        final Process process = builder(command, env)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(process.waitFor(50, TimeUnit.SECONDS), "the script ends");
        return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static void writeScript(final Path file, final String... lines) throws IOException
    {
        Files.writeString(file, String.join("\n", lines) + "\n");
        makeExecutable(file);
    }

    private static void makeExecutable(final Path file) throws IOException
    {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static void assertOneLine(final String err)
    {
        assertTrue(err.startsWith("ffa: "), err);
        assertEquals(1, err.lines().count(), err);
    }

    private static long linesOf(final Path file)
    {
        try
        {
            return Files.exists(file) ? Files.readAllLines(file).size() : 0;
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }

    private static boolean contains(final Path file, final String text)
    {
        try
        {
            return Files.exists(file) && Files.readString(file).contains(text);
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private record Result(int exit, String out, String err)
    {
    }
}
