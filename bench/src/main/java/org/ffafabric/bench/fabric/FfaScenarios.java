package org.ffafabric.bench.fabric;

import org.ffafabric.manifest.Manifest;
import org.ffafabric.manifest.World;

/** The two-partition fabric every {@code ffa-*} scenario measures: a VM calling an SP. */
public final class FfaScenarios
{
    public static final int REQUESTER_ID = 0x0001;
    public static final int RESPONDER_ID = 0x8001;
    public static final String RESPONDER_UUID = "0bed0bed-0000-4000-8000-0000000ec400";

    private FfaScenarios()
    {
    }

    public static Manifest manifest()
    {
        return Manifest.builder()
            .partition(p -> p.name("bench-vm").id(REQUESTER_ID).world(World.VM)
                .uuid("0bed0bed-0000-4000-8000-00000000c11e").directMessaging().memorySize(64 * 1024))
            .partition(p -> p.name("bench-sp").id(RESPONDER_ID).world(World.SP_EL1)
                .uuid(RESPONDER_UUID).directMessaging().memorySize(64 * 1024))
            .build();
    }
}
