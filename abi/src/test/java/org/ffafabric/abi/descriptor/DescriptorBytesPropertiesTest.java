package org.ffafabric.abi.descriptor;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;
import org.ffafabric.abi.Hex;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every field of every descriptor, with arbitrary values, against an encoder written here from
 * the reference's tables (ffa-reference.md §5.1, §5.2, §5.3, §5.7, §5.9, §5.13) at literal
 * offsets: the flyweight must write exactly those bytes and read them back. A round trip through
 * the flyweight alone passes with any offset; zero-valued golden fields pass with a wrong one.
 */
class DescriptorBytesPropertiesTest
{
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    @Provide
    Arbitrary<Integer> versions()
    {
        return Arbitraries.of(FfaVersion.V1_0, FfaVersion.V1_1, FfaVersion.V1_2);
    }

    record Emad(int receiver, int permissions, int flags, long impdefLo, long impdefHi)
    {
    }

    record Range(long address, int pages)
    {
    }

    @Provide
    Arbitrary<Emad> emads()
    {
        return Combinators.combine(
            Arbitraries.integers().between(0, 0xFFFF), Arbitraries.integers().between(0, 0xFF),
            Arbitraries.integers().between(0, 0xFF), Arbitraries.longs(), Arbitraries.longs())
            .as(Emad::new);
    }

    @Provide
    Arbitrary<Range> ranges()
    {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.integers()).as(Range::new);
    }

    /**
     * §5.2-§5.7: header, EMADs packed after it, composite after the EMADs, constituents after the
     * composite. v1.0: 8-bit attributes @2, reserved @3, reserved u32 @24, EMADs @32. v1.1+: 16-bit
     * attributes @2, EMAD size @24, EMAD offset @32 (48), 12 reserved bytes @36. EMAD: receiver @0,
     * permissions @2, flags @3, composite offset @4; v1.2 impdef @8 (16 bytes), reserved @24.
     */
    static byte[] memoryTransaction(
        final int version, final int sender, final int attributes, final int flags, final long handle, final long tag,
        final List<Emad> emads, final int pageCount, final List<Range> ranges)
    {
        final boolean v10 = version == FfaVersion.V1_0;
        final int header = v10 ? 32 : 48;
        final int emadSize = version >= FfaVersion.V1_2 ? 32 : 16;
        final int composite = header + emads.size() * emadSize;
        final ByteBuffer b = ByteBuffer.allocate(composite + 16 + 16 * ranges.size()).order(LE);
        b.putShort(0, (short)sender);
        if (v10)
        {
            b.put(2, (byte)attributes);
        }
        else
        {
            b.putShort(2, (short)attributes);
            b.putInt(24, emadSize);
            b.putInt(32, header);
        }
        b.putInt(4, flags);
        b.putLong(8, handle);
        b.putLong(16, tag);
        b.putInt(28, emads.size());
        for (int i = 0; i < emads.size(); i++)
        {
            final int at = header + i * emadSize;
            final Emad e = emads.get(i);
            b.putShort(at, (short)e.receiver());
            b.put(at + 2, (byte)e.permissions());
            b.put(at + 3, (byte)e.flags());
            b.putInt(at + 4, composite);
            if (emadSize == 32)
            {
                b.putLong(at + 8, e.impdefLo());
                b.putLong(at + 16, e.impdefHi());
            }
        }
        b.putInt(composite, pageCount);
        b.putInt(composite + 4, ranges.size());
        for (int i = 0; i < ranges.size(); i++)
        {
            b.putLong(composite + 16 + 16 * i, ranges.get(i).address());
            b.putInt(composite + 16 + 16 * i + 8, ranges.get(i).pages());
        }
        return b.array();
    }

    @Property(tries = 1000)
    void memoryTransactionBytesAreTheTables(
        @ForAll("versions") final int version,
        @ForAll @IntRange(min = 0, max = 0xFFFF) final int sender,
        @ForAll @IntRange(min = 0, max = 0xFFFF) final int attributes16,
        @ForAll final int flags,
        @ForAll final long handle,
        @ForAll final long tag,
        @ForAll @Size(min = 1, max = 4) final List<@From("emads") Emad> emads,
        @ForAll final int pageCount,
        @ForAll @Size(min = 1, max = 4) final List<@From("ranges") Range> ranges)
    {
        final int attributes = version == FfaVersion.V1_0 ? attributes16 & 0xFF : attributes16;
        final byte[] expected = memoryTransaction(version, sender, attributes, flags, handle, tag, emads, pageCount, ranges);

        final byte[] actual = new byte[expected.length];
        final UnsafeBuffer buffer = new UnsafeBuffer(actual);
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor().wrap(buffer, 0, actual.length, version);
        mtd.initHeader().senderId(sender).attributes(attributes).flags(flags).handle(handle).tag(tag).emadCount(emads.size());
        final int compositeOffset = MemoryTransactionDescriptor.compositeOffset(version, emads.size());
        final EndpointMemoryAccessDescriptor emad = new EndpointMemoryAccessDescriptor();
        for (int i = 0; i < emads.size(); i++)
        {
            final Emad e = emads.get(i);
            mtd.emad(i, emad).clear().receiverId(e.receiver()).permissions(e.permissions()).flags(e.flags())
                .compositeOffset(compositeOffset).impdef(e.impdefLo(), e.impdefHi());
        }
        final CompositeMemoryRegionDescriptor composite = mtd.composite(new CompositeMemoryRegionDescriptor());
        composite.totalPageCount(pageCount & 0xFFFF_FFFFL).constituentCount(ranges.size()).clearReserved();
        final ConstituentDescriptor constituent = new ConstituentDescriptor();
        for (int i = 0; i < ranges.size(); i++)
        {
            composite.constituent(i, constituent).set(ranges.get(i).address(), ranges.get(i).pages() & 0xFFFF_FFFFL);
        }
        assertArrayEquals(expected, actual, () -> Hex.text(actual, 0, actual.length));

        // And every accessor reads the tables' bytes back.
        mtd.wrap(new UnsafeBuffer(expected), 0, expected.length, version);
        assertEquals(sender, mtd.senderId());
        assertEquals(attributes, mtd.attributes());
        assertEquals(flags, mtd.flags());
        assertEquals(handle, mtd.handle());
        assertEquals(tag, mtd.tag());
        assertEquals(EndpointMemoryAccessDescriptor.length(version), mtd.emadSize());
        assertEquals(emads.size(), mtd.emadCount());
        assertEquals(MemoryTransactionDescriptor.headerLength(version), mtd.emadArrayOffset());
        assertEquals(compositeOffset, mtd.firstCompositeOffset());
        for (int i = 0; i < emads.size(); i++)
        {
            final Emad e = emads.get(i);
            mtd.emad(i, emad);
            assertEquals(e.receiver(), emad.receiverId());
            assertEquals(e.permissions(), emad.permissions());
            assertEquals(e.flags(), emad.flags());
            assertEquals(compositeOffset, emad.compositeOffset());
            assertEquals(version >= FfaVersion.V1_2 ? e.impdefLo() : 0, emad.impdefLo());
            assertEquals(version >= FfaVersion.V1_2 ? e.impdefHi() : 0, emad.impdefHi());
            assertEquals(0, emad.reserved());
        }
        mtd.composite(composite);
        assertEquals(pageCount & 0xFFFF_FFFFL, composite.totalPageCount());
        assertEquals(ranges.size(), composite.constituentCount());
        assertEquals(0, composite.reserved());
        for (int i = 0; i < ranges.size(); i++)
        {
            composite.constituent(i, constituent);
            assertEquals(ranges.get(i).address(), constituent.address());
            assertEquals(ranges.get(i).pages() & 0xFFFF_FFFFL, constituent.pageCount());
            assertEquals(0, constituent.reserved());
        }
    }

    /** A reserved field of the tables that holds a set bit is rejected wherever in the field it is. */
    @Property(tries = 500)
    void everyReservedByteIsChecked(@ForAll("versions") final int version, @ForAll @IntRange(min = 0, max = 7) final int bit)
    {
        final List<Emad> one = List.of(new Emad(0x8001, MemoryAccessPermissions.RW, 0, 0, 0));
        final List<Range> range = List.of(new Range(0x4000_0000L, 1));
        final byte[] good = memoryTransaction(version, 1, MemoryRegionAttributes.NORMAL_WB_INNER_SHAREABLE, 0, 0, 0, one, 1, range);
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor();
        assertEquals(0, mtd.wrap(new UnsafeBuffer(good), 0, good.length, version).validate());

        final int header = MemoryTransactionDescriptor.headerLength(version);
        final int emadSize = EndpointMemoryAccessDescriptor.length(version);
        final int composite = header + emadSize;
        final java.util.ArrayList<Integer> reserved = new ArrayList<>();
        if (version == FfaVersion.V1_0)
        {
            reserved.add(3);
            for (int i = 24; i < 28; i++)
            {
                reserved.add(i);
            }
        }
        else
        {
            for (int i = 36; i < 48; i++)
            {
                reserved.add(i);
            }
        }
        for (int i = emadSize == 32 ? 24 : 8; i < emadSize; i++)
        {
            reserved.add(header + i);
        }
        for (int i = 8; i < 16; i++)
        {
            reserved.add(composite + i);
        }
        for (int i = 12; i < 16; i++)
        {
            reserved.add(composite + 16 + i);
        }
        for (final int at : reserved)
        {
            final byte[] bad = good.clone();
            bad[at] = (byte)(1 << bit);
            assertEquals(ErrorCode.INVALID_PARAMETERS,
                mtd.wrap(new UnsafeBuffer(bad), 0, bad.length, version).validate(), () -> "reserved byte " + at);
        }
    }

    /** §5.1: ID @0, execution contexts @2, properties @4; v1.1+ UUID @8 in textual byte order. */
    @Property(tries = 500)
    void partitionInfoBytesAreTheTable(
        @ForAll("versions") final int version,
        @ForAll @IntRange(min = 0, max = 0xFFFF) final int id,
        @ForAll @IntRange(min = 0, max = 0xFFFF) final int contexts,
        @ForAll final int properties,
        @ForAll final long msb,
        @ForAll final long lsb)
    {
        final int length = version == FfaVersion.V1_0 ? 8 : 24;
        final ByteBuffer b = ByteBuffer.allocate(length).order(LE);
        b.putShort(0, (short)id).putShort(2, (short)contexts).putInt(4, properties);
        if (length == 24)
        {
            b.order(ByteOrder.BIG_ENDIAN).putLong(8, msb).putLong(16, lsb);
        }
        final byte[] actual = new byte[length];
        final PartitionInfoDescriptor info = new PartitionInfoDescriptor().wrap(new UnsafeBuffer(actual), 0, version)
            .partitionId(id).executionContextCount(contexts).properties(properties).uuid(msb, lsb);
        assertArrayEquals(b.array(), actual);
        info.wrap(new UnsafeBuffer(b.array()), 0, version);
        assertEquals(id, info.partitionId());
        assertEquals(contexts, info.executionContextCount());
        assertEquals(properties, info.properties());
    }

    /**
     * §5.9: flags @0, reserved @4, payload offset @8, receiver @12, sender @14, size @16; v1.2
     * reserved @20, UUID @24 in textual byte order.
     */
    @Property(tries = 500)
    void indirectMessageHeaderBytesAreTheTable(
        @ForAll("headerVersions") final int version,
        @ForAll final int flags,
        @ForAll final int payloadOffset,
        @ForAll @IntRange(min = 0, max = 0xFFFF) final int receiver,
        @ForAll @IntRange(min = 0, max = 0xFFFF) final int sender,
        @ForAll final int size,
        @ForAll final long msb,
        @ForAll final long lsb)
    {
        final int length = version == FfaVersion.V1_1 ? 20 : 40;
        final ByteBuffer b = ByteBuffer.allocate(length).order(LE);
        b.putInt(0, flags).putInt(8, payloadOffset).putShort(12, (short)receiver).putShort(14, (short)sender).putInt(16, size);
        if (length == 40)
        {
            b.order(ByteOrder.BIG_ENDIAN).putLong(24, msb).putLong(32, lsb);
        }
        final byte[] actual = new byte[length];
        final IndirectMessageHeader header = new IndirectMessageHeader().wrap(new UnsafeBuffer(actual), 0, length, version)
            .clear().flags(flags).payloadOffset(payloadOffset).receiverId(receiver).senderId(sender).payloadSize(size)
            .uuid(msb, lsb);
        assertArrayEquals(b.array(), actual);
        header.wrap(new UnsafeBuffer(b.array()), 0, length, version);
        assertEquals(flags, header.flags());
        assertEquals(payloadOffset & 0xFFFF_FFFFL, header.payloadOffset());
        assertEquals(receiver, header.receiverId());
        assertEquals(sender, header.senderId());
        assertEquals(size & 0xFFFF_FFFFL, header.payloadSize());
    }

    @Test
    void indirectMessageHeaderReservedOffsetsAreTheTable()
    {
        // The reserved words have no accessor (clear() zeroes them): their names must still say where they are.
        assertEquals(4, IndirectMessageHeader.RESERVED_OFFSET);
        assertEquals(20, IndirectMessageHeader.V1_2_RESERVED_OFFSET);
        assertEquals(24, IndirectMessageHeader.UUID_OFFSET);
    }

    @Provide
    Arbitrary<Integer> headerVersions()
    {
        return Arbitraries.of(FfaVersion.V1_1, FfaVersion.V1_2);
    }

    /**
     * §5.13: header signature @0, version @4, blob size @8, descriptor size @12, count @16, array
     * offset @20, reserved @24; descriptor name @0 (16), type @16, reserved @17, flags @18 (u16),
     * size @20, content @24.
     */
    @Property(tries = 500)
    void bootInfoBytesAreTheTable(
        @ForAll final int version,
        @ForAll final int blobSize,
        @ForAll final int descriptorCount,
        @ForAll @IntRange(min = 0, max = 0xFF) final int type,
        @ForAll @IntRange(min = 0, max = 0xFFFF) final int flags,
        @ForAll final int size,
        @ForAll final long content,
        @ForAll final long msb,
        @ForAll final long lsb)
    {
        final ByteBuffer b = ByteBuffer.allocate(64).order(LE);
        b.putInt(0, 0x0FFA).putInt(4, version).putInt(8, blobSize).putInt(12, 32).putInt(16, descriptorCount).putInt(20, 32);
        b.order(ByteOrder.BIG_ENDIAN).putLong(32, msb).putLong(40, lsb).order(LE);
        b.put(48, (byte)type).putShort(50, (short)flags).putInt(52, size).putLong(56, content);

        final byte[] actual = new byte[64];
        final BootInfoHeader header = new BootInfoHeader().wrap(new UnsafeBuffer(actual), 0, 64)
            .signature(BootInfoHeader.SIGNATURE).version(version).blobSize(blobSize).descriptorSize(32)
            .descriptorCount(descriptorCount).descriptorArrayOffset(32);
        // One descriptor at 32, wrapped directly: the count is arbitrary here.
        final BootInfoDescriptor descriptor = new BootInfoDescriptor().wrap(new UnsafeBuffer(actual), 32)
            .nameUuid(msb, lsb).type(type).flags(flags).size(size).content(content);
        assertArrayEquals(b.array(), actual, () -> Hex.text(actual, 0, 64));

        header.wrap(new UnsafeBuffer(b.array()), 0, 64);
        descriptor.wrap(new UnsafeBuffer(b.array()), 32);
        assertEquals(version, header.version());
        assertEquals(blobSize & 0xFFFF_FFFFL, header.blobSize());
        assertEquals(descriptorCount & 0xFFFF_FFFFL, header.descriptorCount());
        assertEquals(type, descriptor.type());
        assertEquals(flags, descriptor.flags());
        assertEquals(size & 0xFFFF_FFFFL, descriptor.size());
        assertEquals(content, descriptor.content());
    }
}
