package org.ffafabric.manifest;

import org.ffafabric.abi.EndpointId;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.PartitionProperties;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * One partition's manifest entry, like an SP manifest or a device-tree node: who it is, what
 * it can do and how much memory it gets. Immutable; built with {@link #builder()}.
 */
public final class PartitionManifest
{
    public static final int PAGE_SIZE = 4096;
    public static final int MAX_EXECUTION_CONTEXTS = 64;
    public static final int MAX_UUIDS = 4;
    public static final int MAX_NAME_LENGTH = 31;
    /** One mapping per memory file; 2 GiB is the JVM's limit for one mapped buffer. */
    public static final long MAX_MEMORY_SIZE = (1L << 31) - PAGE_SIZE;

    /** 8-4-4-4-12 hex digits, either case: UUID.fromString alone also takes "1-1-1-1-1". */
    private static final Pattern UUID_TEXT =
        Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final String name;
    private final List<UUID> uuids;
    private final int id;
    private final World world;
    private final int executionContextCount;
    private final int properties;
    private final long memorySize;
    private final int ffaVersion;

    private PartitionManifest(final Builder builder, final int properties)
    {
        name = builder.name;
        uuids = Collections.unmodifiableList(new ArrayList<>(builder.uuids));
        id = builder.id;
        world = builder.world;
        executionContextCount = builder.executionContextCount;
        this.properties = properties;
        memorySize = builder.memorySize;
        ffaVersion = builder.ffaVersion;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** The UUID a text spells in the 8-4-4-4-12 hex form, or null for any other text. */
    public static UUID parseUuid(final String text)
    {
        return text != null && UUID_TEXT.matcher(text).matches() ? UUID.fromString(text) : null;
    }

    public String name()
    {
        return name;
    }

    /** The partition's UUIDs (services); the first is its primary UUID. */
    public List<UUID> uuids()
    {
        return uuids;
    }

    public UUID uuid()
    {
        return uuids.get(0);
    }

    public int id()
    {
        return id;
    }

    public World world()
    {
        return world;
    }

    public int executionContextCount()
    {
        return executionContextCount;
    }

    /** Partition properties as the v1.2 descriptor carries them. */
    public int properties()
    {
        return properties;
    }

    public long memorySize()
    {
        return memorySize;
    }

    /** The FF-A version the partition implements, used until it negotiates with FFA_VERSION. */
    public int ffaVersion()
    {
        return ffaVersion;
    }

    public boolean hasProperty(final int property)
    {
        return (properties & property) == property;
    }

    public String toString()
    {
        return name + "(" + EndpointId.toString(id) + ", " + world.manifestName() + ")";
    }

    /** Fluent builder; {@link #build()} validates the entry on its own. */
    public static final class Builder
    {
        private String name;
        private final List<UUID> uuids = new ArrayList<>();
        /** The first UUID given that is not one, reported by build() where the entry is named. */
        private String badUuid;
        private int id;
        private boolean idGiven;
        private World world;
        private int executionContextCount = 1;
        private int properties = PartitionProperties.AARCH64;
        /** Bits {@link #directMessaging()} set and nothing stated since: build() keeps those the entry may have. */
        private int implied;
        private long memorySize = 1024 * 1024;
        /** The size as a manifest file wrote it ("3G"), for a refusal to quote; null when given in bytes. */
        private String memoryText;
        private int ffaVersion = FfaVersion.LATEST;

        public Builder name(final String name)
        {
            this.name = name;
            return this;
        }

        public Builder uuid(final UUID uuid)
        {
            if (uuid != null)
            {
                uuids.add(uuid);
            }
            else if (badUuid == null)
            {
                badUuid = "null";
            }
            return this;
        }

        /** A UUID in the 8-4-4-4-12 hex form; anything else makes {@link #build()} refuse the entry. */
        public Builder uuid(final String uuid)
        {
            final UUID parsed = parseUuid(uuid);
            if (parsed == null && badUuid == null)
            {
                badUuid = uuid == null ? "null" : ManifestException.quote(uuid);
            }
            return parsed != null ? uuid(parsed) : this;
        }

        public Builder id(final int id)
        {
            this.id = id;
            idGiven = true;
            return this;
        }

        public Builder world(final World world)
        {
            this.world = world;
            return this;
        }

        public Builder executionContexts(final int count)
        {
            this.executionContextCount = count;
            return this;
        }

        /**
         * Replaces the whole properties word, bit 8 too: without {@link PartitionProperties#AARCH64} the
         * partition runs in AArch32 state, with no SMC64 calls.
         */
        public Builder properties(final int properties)
        {
            this.properties = properties;
            implied = 0;
            return this;
        }

        public Builder property(final int property, final boolean set)
        {
            properties = set ? properties | property : properties & ~property;
            implied &= ~property;
            return this;
        }

        /**
         * Receives and sends DIRECT_REQ, and DIRECT_REQ2 when the entry's FF-A version has it (v1.2) and
         * it runs in AArch64 state; the hypervisor role only sends.
         */
        public Builder directMessaging()
        {
            final int all = PartitionProperties.DIRECT_REQ_RECV | PartitionProperties.DIRECT_REQ_SEND |
                PartitionProperties.DIRECT_REQ2_RECV | PartitionProperties.DIRECT_REQ2_SEND;
            property(all, true);
            implied |= all & ~PartitionProperties.DIRECT_REQ_SEND;
            return this;
        }

        public Builder memorySize(final long bytes)
        {
            return memorySize(bytes, null);
        }

        /** As a manifest file gives it: {@code text} is what it wrote, which a refusal quotes. */
        Builder memorySize(final long bytes, final String text)
        {
            this.memorySize = bytes;
            this.memoryText = text;
            return this;
        }

        public Builder ffaVersion(final int version)
        {
            this.ffaVersion = version;
            return this;
        }

        public PartitionManifest build()
        {
            return build(-1);
        }

        /**
         * As {@link #build()}, for the entry at {@code index} of a manifest (or -1): one with no name is
         * named by its position, "partitions[1]", as a manifest file's is.
         */
        PartitionManifest build(final int index)
        {
            final String entry = name != null && !name.isEmpty() ? "partition " + ManifestException.quote(name) :
                index >= 0 ? "partitions[" + index + "]" : "partition '?'";
            if (name == null)
            {
                throw refuse(entry, "name", " is missing");
            }
            if (name.isEmpty())
            {
                throw refuse(entry, "name", " is empty");
            }
            if (name.length() > MAX_NAME_LENGTH || !name.chars().allMatch(c -> c > 0x20 && c < 0x7F))
            {
                throw refuse(entry, "name", " must be 1.." + MAX_NAME_LENGTH +
                    " printable ASCII characters without spaces");
            }
            if (world == null)
            {
                throw refuse(entry, "world", " is missing (vm, sp-el1, sp-el0, hypervisor)");
            }
            if (!idGiven)
            {
                throw refuse(entry, "id", " is missing");
            }
            if (!world.accepts(id))
            {
                // As given: a value outside 16 bits is not shown as the ID its low bits would make.
                throw refuse(entry, "id", " " +
                    (id < 0 ? Integer.toString(id) : id > EndpointId.MASK ? "0x" + Integer.toHexString(id) :
                    EndpointId.toString(id)) +
                    " is out of range for world " + world.manifestName() +
                    (world == World.VM ? " (VMs use 0x0001..0x7FFE; 0 is the hypervisor)" :
                    world == World.HYPERVISOR ? " (the hypervisor role is ID 0)" :
                    " (secure partitions use 0x8001..0xFFBF)"));
            }
            if (badUuid != null)
            {
                throw refuse(entry, "uuid", " is not a UUID: " + badUuid);
            }
            if (uuids.isEmpty())
            {
                throw refuse(entry, "uuid", " is missing");
            }
            if (uuids.size() > MAX_UUIDS)
            {
                throw refuse(entry, "uuid", " lists more than " + MAX_UUIDS + " UUIDs");
            }
            for (final UUID uuid : uuids)
            {
                if (uuid.getMostSignificantBits() == 0 && uuid.getLeastSignificantBits() == 0)
                {
                    throw refuse(entry, "uuid", " must not be the Nil UUID");
                }
            }
            if (uuids.stream().distinct().count() != uuids.size())
            {
                throw refuse(entry, "uuid", " lists a UUID twice");
            }
            if (executionContextCount < 1 || executionContextCount > MAX_EXECUTION_CONTEXTS)
            {
                throw refuse(entry, "execution-contexts", " must be 1.." +
                    MAX_EXECUTION_CONTEXTS + ", was " + executionContextCount);
            }
            if (!FfaVersion.isImplemented(ffaVersion))
            {
                throw refuse(entry, "ffa-version", " must be 1.0, 1.1 or 1.2, was " +
                    FfaVersion.toString(ffaVersion));
            }
            if ((properties & ~PartitionProperties.validMask(FfaVersion.V1_2)) != 0)
            {
                throw refuse(entry, "properties", " sets reserved bits: 0x" +
                    Integer.toHexString(properties));
            }
            if (PartitionProperties.idType(properties) != PartitionProperties.ID_TYPE_PE_ENDPOINT)
            {
                // The fabric hosts PE endpoints only, and a manifest file cannot say another ID type.
                throw refuse(entry, "properties", " sets a partition ID type other than " +
                    "PE endpoint (bits [5:4]): 0x" + Integer.toHexString(properties));
            }
            final int receive = PartitionProperties.DIRECT_REQ_RECV | PartitionProperties.DIRECT_REQ2_RECV;
            final int req2 = PartitionProperties.DIRECT_REQ2_RECV | PartitionProperties.DIRECT_REQ2_SEND;
            final boolean aarch32 = (properties & PartitionProperties.AARCH64) == 0;
            final int effective = properties & ~(implied & ((ffaVersion < FfaVersion.V1_2 || aarch32 ? req2 : 0) |
                (world == World.HYPERVISOR ? receive : 0)));
            checkPropertiesExistIn(entry, effective);
            checkPropertiesSuitTheWorld(entry, effective);
            checkPropertiesSuitAarch32(entry, effective);
            checkMemorySize(entry);
            return new PartitionManifest(this, effective);
        }

        /**
         * Whole pages, one at least, in one mapping. The limits are said as a file may write them, and
         * the size as the file wrote it, so that "3G" is found in the file: its bytes follow.
         */
        private void checkMemorySize(final String entry)
        {
            final String bytes = memorySize + " bytes";
            final String size = memoryText == null || memoryText.equals(Long.toString(memorySize)) ? bytes :
                ManifestException.quote(memoryText) + " (" + bytes + ")";
            if (memorySize < PAGE_SIZE)
            {
                throw refuse(entry, "memory", " " + size + " is less than one page (4K)");
            }
            if (memorySize > MAX_MEMORY_SIZE)
            {
                throw refuse(entry, "memory", " " + size + " is more than " + MAX_MEMORY_SIZE / 1024 +
                    "K (2G less a page: a partition's memory is one mapping)");
            }
            if (memorySize % PAGE_SIZE != 0)
            {
                throw refuse(entry, "memory", " " + size + " is not a multiple of the page size (4K)");
            }
        }

        /** A refusal of the entry's {@code field}: "partition 'p': field 'f'" and then {@code detail}. */
        private static ManifestException refuse(final String entry, final String field, final String detail)
        {
            return new ManifestException(entry + ": field '" + field + "'" + detail, field, -1);
        }

        /**
         * What the entry's world can have. Nothing sends the hypervisor role (ID 0) a direct request: the
         * fabric answers INVALID_PARAMETERS, as no FF-A instance accepts one for the NS physical
         * instance. It is the sender of the VM created/destroyed messages, so it does not subscribe to
         * them; it sends them to secure partitions only (reference §4.3, "hypervisor→SP"), so a VM
         * does not either: it would never be told. An S-EL0 partition is uniprocessor: one execution
         * context (Hafnium refuses more).
         */
        private void checkPropertiesSuitTheWorld(final String entry, final int properties)
        {
            if (world == World.HYPERVISOR)
            {
                if ((properties & (PartitionProperties.DIRECT_REQ_RECV | PartitionProperties.DIRECT_REQ2_RECV)) != 0)
                {
                    throw refuse(entry, "messaging", ": the hypervisor role does not receive " +
                        "direct requests (direct-req-recv, direct-req2-recv)");
                }
                if ((properties & PartitionProperties.VM_CREATED_MSG) != 0)
                {
                    throw refuse(entry, "vm-created-messages", ": the hypervisor role sends them");
                }
                if ((properties & PartitionProperties.VM_DESTROYED_MSG) != 0)
                {
                    throw refuse(entry, "vm-destroyed-messages", ": the hypervisor role sends them");
                }
            }
            if (world == World.VM)
            {
                if ((properties & PartitionProperties.VM_CREATED_MSG) != 0)
                {
                    throw refuse(entry, "vm-created-messages",
                        ": the hypervisor sends VM created messages to secure partitions only, not to VMs");
                }
                if ((properties & PartitionProperties.VM_DESTROYED_MSG) != 0)
                {
                    throw refuse(entry, "vm-destroyed-messages",
                        ": the hypervisor sends VM destroyed messages to secure partitions only, not to VMs");
                }
            }
            if (world == World.SP_EL0 && executionContextCount != 1)
            {
                throw refuse(entry, "execution-contexts", " must be 1 for an S-EL0 partition, was " +
                    executionContextCount);
            }
        }

        /**
         * Properties the entry's own version has. REQ2 needs v1.2, as Hafnium's manifest check
         * (messaging method "not compatible"); the v1.1 bits need v1.1 (reference §5.1). AArch64 state
         * (bit 8, reported from v1.1) is a fact about the partition at any version, and the default.
         */
        private void checkPropertiesExistIn(final String entry, final int properties)
        {
            final String version = " needs FF-A v1.2 or later; the entry implements " + FfaVersion.toString(ffaVersion);
            if (ffaVersion < FfaVersion.V1_2 &&
                (properties & (PartitionProperties.DIRECT_REQ2_RECV | PartitionProperties.DIRECT_REQ2_SEND)) != 0)
            {
                throw refuse(entry, "messaging", ": direct-req2" + version);
            }
            if (ffaVersion < FfaVersion.V1_1)
            {
                final String v11 = " needs FF-A v1.1 or later; the entry implements " + FfaVersion.toString(ffaVersion);
                if ((properties & PartitionProperties.NOTIFICATION_RECV) != 0)
                {
                    throw refuse(entry, "notifications", v11);
                }
                if ((properties & PartitionProperties.VM_CREATED_MSG) != 0)
                {
                    throw refuse(entry, "vm-created-messages", v11);
                }
                if ((properties & PartitionProperties.VM_DESTROYED_MSG) != 0)
                {
                    throw refuse(entry, "vm-destroyed-messages", v11);
                }
            }
        }

        /** REQ2 is SMC64 only, and AArch32 state has no SMC64 calls (SMCCC): a partition there has no REQ2. */
        private void checkPropertiesSuitAarch32(final String entry, final int properties)
        {
            if ((properties & PartitionProperties.AARCH64) == 0 &&
                (properties & (PartitionProperties.DIRECT_REQ2_RECV | PartitionProperties.DIRECT_REQ2_SEND)) != 0)
            {
                throw refuse(entry, "messaging", ": direct-req2 is an SMC64 call, which a partition in AArch32 " +
                    "state (aarch64: false, properties bit 8 clear) cannot make or take");
            }
        }
    }
}
