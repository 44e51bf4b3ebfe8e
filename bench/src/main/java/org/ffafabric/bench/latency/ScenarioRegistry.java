package org.ffafabric.bench.latency;

import org.ffafabric.bench.baseline.AeronIpcScenario;
import org.ffafabric.bench.baseline.ShmSpinScenario;
import org.ffafabric.bench.baseline.UdsScenario;
import org.ffafabric.bench.fabric.FfaDirectScenario;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The scenarios the latency tool knows, by name, in the order they run by default.
 * {@link #standard()} is the one place where scenarios are registered.
 */
public final class ScenarioRegistry
{
    /** The baseline every {@code ffa-*} scenario is compared against. */
    public static final String RATIO_BASELINE = "aeron-ipc-raw";

    /** Scenarios whose name starts with this get a ratio line against {@link #RATIO_BASELINE}. */
    public static final String FABRIC_PREFIX = "ffa-";

    /** The machine's floor: a round whose p50 of it is well above its lowest ran in a slow phase of the host. */
    public static final String FLOOR = "shm-spin-raw";

    /** Raw Aeron IPC with DIRECT_REQ2's 144 bytes each way, the same-size baseline of {@code ffa-direct2-xproc}. */
    public static final String LONG_MESSAGE_BASELINE = "aeron-ipc-raw-144";

    private final Map<String, Supplier<? extends LatencyScenario>> factories = new LinkedHashMap<>();
    private final Map<String, String> sameSizeBaselines = new LinkedHashMap<>();

    /**
     * The registered scenarios. Add a scenario here with one {@code register} line.
     */
    public static ScenarioRegistry standard()
    {
        return new ScenarioRegistry()
            .register(FLOOR, ShmSpinScenario::new)
            .register(RATIO_BASELINE, AeronIpcScenario::tryClaim)
            .register(LONG_MESSAGE_BASELINE, AeronIpcScenario::tryClaimLong)
            .register("uds-raw", UdsScenario::blocking)
            .register("uds-spin", UdsScenario::spinning)
            .register("ffa-direct-inproc", FfaDirectScenario::inProcess)
            .register("ffa-direct-xproc", FfaDirectScenario::crossProcess)
            .register("ffa-direct2-xproc", FfaDirectScenario::crossProcessReq2)
            .sameSizeBaseline("ffa-direct2-xproc", LONG_MESSAGE_BASELINE);
    }

    /**
     * Also reports {@code scenario}'s ratio against {@code baseline}, a raw scenario that moves the
     * same bytes, after its ratio against {@link #RATIO_BASELINE}.
     *
     * @return this for a fluent API.
     */
    public ScenarioRegistry sameSizeBaseline(final String scenario, final String baseline)
    {
        if (!contains(scenario) || !contains(baseline))
        {
            throw new IllegalArgumentException("register " + scenario + " and " + baseline + " first");
        }
        sameSizeBaselines.put(scenario, baseline);
        return this;
    }

    /** The same-size baseline of each scenario that has one. */
    public Map<String, String> sameSizeBaselines()
    {
        return Collections.unmodifiableMap(sameSizeBaselines);
    }

    /**
     * Adds a scenario.
     *
     * @param name    unique name, printed as {@code scenario=<name>}; {@code ffa-*} for the fabric's.
     * @param factory makes a new, not yet set up, scenario for each run.
     * @return this for a fluent API.
     */
    public ScenarioRegistry register(final String name, final Supplier<? extends LatencyScenario> factory)
    {
        if (null != factories.putIfAbsent(name, factory))
        {
            throw new IllegalArgumentException("scenario already registered: " + name);
        }

        return this;
    }

    /** Names in registration order. */
    public List<String> names()
    {
        return Collections.unmodifiableList(new ArrayList<>(factories.keySet()));
    }

    public boolean contains(final String name)
    {
        return factories.containsKey(name);
    }

    /** A new instance of the named scenario. */
    public LatencyScenario newScenario(final String name)
    {
        final Supplier<? extends LatencyScenario> factory = factories.get(name);
        if (null == factory)
        {
            throw new IllegalArgumentException("unknown scenario " + name + ", known: " + names());
        }

        return factory.get();
    }
}
