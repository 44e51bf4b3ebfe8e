package org.ffafabric.abi.descriptor;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;
import org.ffafabric.abi.ErrorCode;
import org.ffafabric.abi.FfaVersion;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Validation against arbitrary and adversarial input. Every buffer a validator sees is either
 * exactly the window (so any read outside throws IndexOutOfBoundsException, which would fail
 * the property) or a window inside a larger buffer whose surroundings are two different
 * canaries (so a read outside would change the answer).
 */
class DescriptorPropertiesTest
{
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final int INVALID = ErrorCode.INVALID_PARAMETERS;

    /** A well-formed transaction: borrowers distinct and not the sender, ranges disjoint and aligned. */
    record Spec(int version, int sender, int[] receivers, long[] addresses, int[] pages)
    {
        int length()
        {
            return (int)MemoryTransactionDescriptor.length(version, receivers.length, addresses.length);
        }
    }

    static byte[] encode(final Spec spec)
    {
        final byte[] bytes = new byte[spec.length()];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor()
            .wrap(buffer, 0, bytes.length, spec.version());
        mtd.initHeader().senderId(spec.sender()).attributes(MemoryRegionAttributes.NORMAL_WB_INNER_SHAREABLE)
            .tag(spec.addresses()[0]).emadCount(spec.receivers().length);
        final int compositeOffset = MemoryTransactionDescriptor.compositeOffset(spec.version(), spec.receivers().length);
        final EndpointMemoryAccessDescriptor emad = new EndpointMemoryAccessDescriptor();
        for (int i = 0; i < spec.receivers().length; i++)
        {
            mtd.emad(i, emad).clear().receiverId(spec.receivers()[i]).permissions(MemoryAccessPermissions.RW)
                .compositeOffset(compositeOffset).impdef(i, -i);
        }
        final CompositeMemoryRegionDescriptor composite = mtd.composite(new CompositeMemoryRegionDescriptor());
        long total = 0;
        final ConstituentDescriptor constituent = new ConstituentDescriptor();
        for (int i = 0; i < spec.addresses().length; i++)
        {
            composite.constituent(i, constituent).set(spec.addresses()[i], spec.pages()[i]);
            total += spec.pages()[i] & 0xFFFF_FFFFL;
        }
        composite.totalPageCount(total).constituentCount(spec.addresses().length).clearReserved();
        return bytes;
    }

    @Provide
    Arbitrary<Integer> versions()
    {
        return Arbitraries.of(FfaVersion.V1_0, FfaVersion.V1_1, FfaVersion.V1_2);
    }

    @Provide
    Arbitrary<Spec> specs()
    {
        final Arbitrary<int[]> receivers = Arbitraries.integers().between(1, 0xFFFF).set().ofMinSize(1).ofMaxSize(5)
            .map(set -> set.stream().mapToInt(Integer::intValue).toArray());
        final Arbitrary<int[]> pages = Arbitraries.integers().between(1, 4096).array(int[].class).ofMinSize(1).ofMaxSize(12);
        return Combinators.combine(versions(), receivers, pages, Arbitraries.longs().between(0, 1L << 40))
            .as((version, r, p, base) ->
            {
                // Sender 0 is never a receiver (receivers are >= 1); ranges laid out with a gap.
                final long[] addresses = new long[p.length];
                long next = base << 12;
                for (int i = 0; i < p.length; i++)
                {
                    addresses[i] = next;
                    next += ((long)p[i] + 1 + (i % 3)) << 12;
                }
                return new Spec(version, 0, r, addresses, p);
            });
    }

    @Provide
    Arbitrary<Integer> nastyInts()
    {
        return Arbitraries.oneOf(
            Arbitraries.of(0, 1, -1, 15, 16, 17, 32, 47, 48, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFF0, 0x7FFF_FFF0,
                0x7FFF_FFF8, Integer.MAX_VALUE - 47, 0x4000_0000, 0x1000_0000),
            Arbitraries.integers());
    }

    @Property(tries = 500)
    void wellFormedDescriptorsValidate(@ForAll("specs") final Spec spec)
    {
        final byte[] bytes = encode(spec);
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor()
            .wrap(new UnsafeBuffer(bytes), 0, bytes.length, spec.version());
        assertEquals(0, mtd.validate());
        assertEquals(0, mtd.validateSend(MemoryTransactionFlags.TYPE_SHARE));
        assertEquals(bytes.length, mtd.encodedLength());
        final EndpointMemoryAccessDescriptor emad = new EndpointMemoryAccessDescriptor();
        for (int i = 0; i < spec.receivers().length; i++)
        {
            assertEquals(spec.receivers()[i], mtd.emad(i, emad).receiverId());
        }
        final CompositeMemoryRegionDescriptor composite = mtd.composite(new CompositeMemoryRegionDescriptor());
        assertEquals(0, composite.validate());
        assertEquals(Arrays.stream(spec.pages()).asLongStream().sum(), composite.totalPageCount());
    }

    @Property(tries = 3000)
    void validateNeverThrowsNorReadsOutside(
        @ForAll("specs") final Spec spec,
        @ForAll @Size(max = 6) final List<@IntRange(min = 0, max = 1000) Integer> positions,
        @ForAll @Size(max = 6) final List<@From("nastyInts") Integer> values,
        @ForAll @IntRange(min = 0, max = 400) final int cut,
        @ForAll @IntRange(min = 0, max = 64) final int lead)
    {
        final byte[] bytes = encode(spec);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        for (int i = 0; i < Math.min(positions.size(), values.size()); i++)
        {
            final int at = (positions.get(i) * 4) % Math.max(4, bytes.length - 3);
            buffer.putInt(at, values.get(i), LE);
        }
        final int length = Math.max(0, bytes.length - cut);
        assertNoOutOfWindowReads(Arrays.copyOf(bytes, length), lead, spec.version());
    }

    @Property(tries = 2000)
    void arbitraryBytesNeverThrow(@ForAll @Size(max = 256) final byte[] bytes, @ForAll @IntRange(min = 0, max = 32) final int lead,
        @ForAll("versions") final int version)
    {
        // Give random bytes a plausible v1.1 header half the time so validation gets further.
        if (bytes.length >= 48 && (bytes[0] & 1) == 0)
        {
            final UnsafeBuffer b = new UnsafeBuffer(bytes);
            b.putInt(24, 16, LE);
            b.putInt(32, 48, LE);
            b.putInt(28, 1 + (bytes[1] & 3), LE);
            b.putInt(36, 0, LE);
            b.putLong(40, 0, LE);
        }
        assertNoOutOfWindowReads(bytes, lead, version);
    }

    static void assertNoOutOfWindowReads(final byte[] window, final int lead, final int version)
    {
        final int length = window.length;
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor();
        final UnsafeBuffer exact = new UnsafeBuffer(window.clone());
        final int result = mtd.wrap(exact, 0, length, version).validate();
        final int sendResult = mtd.validateSend(MemoryTransactionFlags.TYPE_LEND);
        final int fragmentResult = mtd.validateFirstFragment(length + 32L);
        assertTrue(fragmentResult == 0 || fragmentResult == INVALID, () -> "fragment result " + fragmentResult);
        assertTrue(result == 0 || result == INVALID, () -> "result " + result);
        mtd.toString();

        for (final byte canary : new byte[]{ 0, (byte)0xFF, 0x10 })
        {
            final byte[] big = new byte[lead + length + 64];
            Arrays.fill(big, canary);
            System.arraycopy(window, 0, big, lead, length);
            mtd.wrap(new UnsafeBuffer(big), lead, length, version);
            assertEquals(result, mtd.validate());
            assertEquals(sendResult, mtd.validateSend(MemoryTransactionFlags.TYPE_LEND));
            assertEquals(fragmentResult, mtd.validateFirstFragment(length + 32L));
        }

        final CompositeMemoryRegionDescriptor composite = new CompositeMemoryRegionDescriptor().wrap(exact, 0, length);
        final int compositeResult = composite.validate();
        assertTrue(compositeResult == 0 || compositeResult == INVALID);
        composite.toString();
        final EndpointRxTxDescriptor rxtx = new EndpointRxTxDescriptor().wrap(exact, 0, length);
        final int rxtxResult = rxtx.validate();
        assertTrue(rxtxResult == 0 || rxtxResult == INVALID);
        rxtx.toString();
        final MemoryRelinquishDescriptor relinquish = new MemoryRelinquishDescriptor().wrap(exact, 0, length);
        final int relinquishResult = relinquish.validate();
        assertTrue(relinquishResult == 0 || relinquishResult == INVALID);
        relinquish.toString();
        final IndirectMessageHeader header = new IndirectMessageHeader().wrap(exact, 0, length, version);
        final int headerResult = header.validate(4096);
        assertTrue(headerResult == 0 || headerResult == INVALID || headerResult == ErrorCode.NOT_SUPPORTED);
        header.toString();
        final BootInfoHeader bootInfo = new BootInfoHeader().wrap(exact, 0, length);
        final int bootInfoResult = bootInfo.validate();
        assertTrue(bootInfoResult == 0 || bootInfoResult == INVALID);
        bootInfo.toString();
    }

    @Property(tries = 1000)
    void countAndOffsetOverflowsAreRejected(
        @ForAll("specs") final Spec spec,
        @ForAll @IntRange(min = 0, max = 4) final int field,
        @ForAll("overflowing") final int value)
    {
        final byte[] bytes = encode(spec);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor().wrap(buffer, 0, bytes.length, spec.version());
        final int compositeOffset = (int)mtd.firstCompositeOffset();
        switch (field)
        {
            case 0:
                buffer.putInt(MemoryTransactionDescriptor.EMAD_COUNT_OFFSET, value, LE);
                break;
            case 1:
                if (spec.version() == FfaVersion.V1_0)
                {
                    buffer.putInt(MemoryTransactionDescriptor.EMAD_COUNT_OFFSET, value, LE);
                }
                else
                {
                    buffer.putInt(MemoryTransactionDescriptor.EMAD_ARRAY_OFFSET_OFFSET, value, LE);
                }
                break;
            case 2:
                for (int i = 0; i < spec.receivers().length; i++)
                {
                    buffer.putInt(mtd.emadOffset(i) + EndpointMemoryAccessDescriptor.COMPOSITE_OFFSET_OFFSET, value, LE);
                }
                break;
            case 3:
                buffer.putInt(compositeOffset + CompositeMemoryRegionDescriptor.CONSTITUENT_COUNT_OFFSET, value, LE);
                break;
            default:
                if (spec.version() != FfaVersion.V1_0)
                {
                    buffer.putInt(MemoryTransactionDescriptor.EMAD_SIZE_OFFSET, value, LE);
                }
                else
                {
                    buffer.putInt(compositeOffset + CompositeMemoryRegionDescriptor.CONSTITUENT_COUNT_OFFSET, value, LE);
                }
                break;
        }
        assertEquals(INVALID, mtd.validate());
        assertEquals(INVALID, mtd.validateSend(MemoryTransactionFlags.TYPE_SHARE));
    }

    @Provide
    Arbitrary<Integer> overflowing()
    {
        return Arbitraries.oneOf(
            Arbitraries.of(0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFF0, 0x7FFF_FFF0, 0x1000_0000, 0x4000_0000),
            Arbitraries.integers().between(0x0100_0000, Integer.MAX_VALUE),
            Arbitraries.integers().between(Integer.MIN_VALUE, -1));
    }

    @Property(tries = 500)
    void pageCountSumIsNotTruncatedTo32Bits(
        @ForAll @Size(min = 2, max = 8) final List<@LongRange(min = 0x8000_0001L, max = 0xFFFF_FFFFL) Long> pages,
        @ForAll("versions") final int version)
    {
        final long[] addresses = new long[pages.size()];
        for (int i = 0; i < addresses.length; i++)
        {
            addresses[i] = (long)i << 44; // 2^44 apart: u32 pages of 4K never reach the next range
        }
        final Spec spec = new Spec(version, 0, new int[]{ 1 }, addresses, pages.stream().mapToInt(Long::intValue).toArray());
        final byte[] bytes = encode(spec);
        final MemoryTransactionDescriptor mtd = new MemoryTransactionDescriptor()
            .wrap(new UnsafeBuffer(bytes), 0, bytes.length, version);
        final long sum = pages.stream().mapToLong(Long::longValue).sum();
        // encode() wrote sum mod 2^32 into the u32 total; the true sum exceeds 2^32 - 1.
        assertTrue(sum > 0xFFFF_FFFFL);
        assertEquals(INVALID, mtd.validate());
    }

    @Property(tries = 1000)
    void partitionInfoRoundTrips(
        @ForAll("versions") final int version,
        @ForAll @IntRange(min = 0, max = 0xFFFF) final int id,
        @ForAll @IntRange(min = 0, max = 0xFFFF) final int contexts,
        @ForAll final int properties,
        @ForAll final long msb,
        @ForAll final long lsb,
        @ForAll @IntRange(min = 0, max = 16) final int at)
    {
        final int length = PartitionInfoDescriptor.length(version);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[at + length]);
        final PartitionInfoDescriptor info = new PartitionInfoDescriptor().wrap(buffer, at, version)
            .partitionId(id).executionContextCount(contexts).properties(properties).uuid(msb, lsb);
        assertTrue(info.fits());
        assertEquals(id, info.partitionId());
        assertEquals(contexts, info.executionContextCount());
        assertEquals(properties, info.properties());
        assertEquals(version == FfaVersion.V1_0 ? 0 : Long.reverseBytes(msb), info.uuidLo());
        assertEquals(version == FfaVersion.V1_0 ? 0 : Long.reverseBytes(lsb), info.uuidHi());
        info.toString();
    }
}
