package org.ffafabric.abi;

import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.Objects;
import java.util.UUID;

/**
 * The general-purpose registers of an FF-A call, x0..x17, as a flyweight over any buffer.
 * <p>
 * Each register is a little-endian u64 at {@code offset + 8 * n}. {@code w(n)} is the low
 * 32 bits; writing a w register zero-extends it into x, as the architecture does, so a
 * signed error code -1 travels as {@code 0x00000000_FFFFFFFF}.
 * <pre>
 *   0        8        16              136      144
 *   +--------+--------+--- ... ---+--------+
 *   |   x0   |   x1   |           |  x17   |
 *   +--------+--------+--- ... ---+--------+
 * </pre>
 * The transport wraps this over its own log buffers, so registers are written and read in
 * place. A view of a message that carried fewer registers ({@link #wrap(MutableDirectBuffer,
 * int, int)}, 64 bytes for x0..x7) keeps the registers past it beside the message: they read as
 * zero when it is wrapped, as the receiver of an SMC sees them, take writes, and are never part
 * of the message. The static helpers pack the fields every call shares.
 */
public final class RegisterFile
{
    public static final int REGISTER_COUNT = 18;
    public static final int LENGTH = REGISTER_COUNT * Long.BYTES;
    /** Registers an SMC32 call may use: w0..w7. */
    public static final int SMC32_REGISTER_COUNT = 8;

    /** Direct message flags (w2): bit 31 marks a framework message; its type is bits [7:0]. */
    public static final int DIRECT_MSG_FRAMEWORK_BIT = 0x8000_0000;
    public static final int DIRECT_MSG_FRAMEWORK_TYPE_MASK = 0xFF;


    // Registers are read and written through the wrapped memory's address, checked once at wrap:
    // a round trip touches registers ~100 times, and a bounds check on each was measurable.
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private MutableDirectBuffer buffer;
    private int offset;
    private byte[] byteArray;
    private long address;
    private int registerCount = REGISTER_COUNT;
    // A view's registers past its message, and whether any is non-zero.
    private long[] beyond;
    private boolean beyondDirty;

    /** A register file over its own heap storage. */
    public RegisterFile()
    {
        wrap(new UnsafeBuffer(new byte[LENGTH]), 0);
    }

    public RegisterFile wrap(final MutableDirectBuffer buffer, final int offset)
    {
        return wrap(buffer, offset, LENGTH);
    }

    /**
     * Wraps a message of {@code length} bytes: x0..x(length / 8 - 1) are its registers; the rest
     * are kept beside it, zero until written. {@code length} is a multiple of 8 from 8 to {@link #LENGTH}.
     */
    public RegisterFile wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        if (length < Long.BYTES || length > LENGTH || (length & (Long.BYTES - 1)) != 0)
        {
            throw new IllegalArgumentException("register file length must be 8..144 in steps of 8: " + length);
        }
        if (offset < 0 || offset > buffer.capacity() - length)
        {
            throw new IndexOutOfBoundsException("register file needs " + length + " bytes at " + offset);
        }
        this.buffer = buffer;
        this.offset = offset;
        this.byteArray = buffer.byteArray();
        this.address = buffer.addressOffset() + offset;
        this.registerCount = length >> 3;
        if (length < LENGTH && beyond == null)
        {
            beyond = new long[REGISTER_COUNT];
        }
        clearBeyond();
        return this;
    }

    private void clearBeyond()
    {
        if (beyondDirty)
        {
            java.util.Arrays.fill(beyond, 0L);
            beyondDirty = false;
        }
    }

    /** Registers backed by the wrapped memory: 18, or fewer for a view of a shorter message. */
    public int registerCount()
    {
        return registerCount;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    public int offset()
    {
        return offset;
    }

    public long x(final int n)
    {
        if (Integer.compareUnsigned(n, registerCount) >= 0)
        {
            return beyond[Objects.checkIndex(n, REGISTER_COUNT)];
        }
        final long value = UnsafeApi.getLong(byteArray, address + ((long)n << 3));
        return NATIVE_LITTLE_ENDIAN ? value : Long.reverseBytes(value);
    }

    public RegisterFile x(final int n, final long value)
    {
        if (Integer.compareUnsigned(n, registerCount) >= 0)
        {
            beyond[Objects.checkIndex(n, REGISTER_COUNT)] = value;
            beyondDirty |= value != 0;
            return this;
        }
        UnsafeApi.putLong(byteArray, address + ((long)n << 3), NATIVE_LITTLE_ENDIAN ? value : Long.reverseBytes(value));
        return this;
    }

    public int w(final int n)
    {
        return (int)x(n);
    }

    /** Writes w(n) and clears the upper half of x(n). */
    public RegisterFile w(final int n, final int value)
    {
        return x(n, value & 0xFFFF_FFFFL);
    }

    public int functionId()
    {
        return w(0);
    }

    public RegisterFile functionId(final int functionId)
    {
        return w(0, functionId);
    }

    public RegisterFile clear()
    {
        return clearFrom(0);
    }

    /**
     * Clears x{from}..x17. Register stores, not {@code setMemory}: for 144 bytes the stores are
     * a few nanoseconds, while Unsafe.setMemory leaves compiled code for the runtime's fill.
     */
    public RegisterFile clearFrom(final int from)
    {
        // A constant bound for the usual 18 lets the JIT unroll the stores.
        final int count = registerCount == REGISTER_COUNT ? REGISTER_COUNT : registerCount;
        for (int n = Objects.checkIndex(from, REGISTER_COUNT + 1); n < count; n++)
        {
            UnsafeApi.putLong(byteArray, address + ((long)n << 3), 0L);
        }
        if (beyondDirty)
        {
            for (int n = Math.max(from, registerCount); n < REGISTER_COUNT; n++)
            {
                beyond[n] = 0;
            }
        }
        return this;
    }

    public RegisterFile copyFrom(final RegisterFile source)
    {
        copyFrom(source.buffer, source.offset, source.registerCount << 3);
        if (source.beyondDirty)
        {
            for (int n = source.registerCount; n < REGISTER_COUNT; n++)
            {
                x(n, source.beyond[n]);
            }
        }
        return this;
    }

    public RegisterFile copyFrom(final DirectBuffer source, final int sourceOffset)
    {
        return copyFrom(source, sourceOffset, LENGTH);
    }

    /**
     * Loads the first {@code length / 8} registers from {@code source} and zeroes the rest, as a
     * receiver does with a message that carried only x0..x7. Register by register: for these
     * sizes that beats Unsafe.copyMemory, whose argument checks and runtime call dominate. A view
     * of a shorter message keeps the loaded registers past it beside it, as it keeps any write.
     */
    public RegisterFile copyFrom(final DirectBuffer source, final int sourceOffset, final int length)
    {
        final int carried = Math.min(length >> 3, REGISTER_COUNT);
        source.boundsCheck(sourceOffset, carried << 3);
        final int count = Math.min(carried, registerCount);
        final byte[] sourceArray = source.byteArray();
        final long sourceAddress = source.addressOffset() + sourceOffset;
        for (int n = 0; n < count; n++)
        {
            UnsafeApi.putLong(byteArray, address + (n << 3), UnsafeApi.getLong(sourceArray, sourceAddress + (n << 3)));
        }
        clearFrom(count);
        for (int n = count; n < carried; n++)
        {
            x(n, source.getLong(sourceOffset + (n << 3), ByteOrder.LITTLE_ENDIAN));
        }
        return this;
    }

    /** Stores the first {@code count} registers at {@code destinationOffset}. */
    public void copyTo(final MutableDirectBuffer destination, final int destinationOffset, final int count)
    {
        final int registers = Objects.checkIndex(count, REGISTER_COUNT + 1);
        destination.boundsCheck(destinationOffset, registers << 3);
        final byte[] destinationArray = destination.byteArray();
        final long destinationAddress = destination.addressOffset() + destinationOffset;
        final int backed = Math.min(registers, registerCount);
        for (int n = 0; n < backed; n++)
        {
            UnsafeApi.putLong(destinationArray, destinationAddress + (n << 3), UnsafeApi.getLong(byteArray, address + (n << 3)));
        }
        for (int n = backed; n < registers; n++)
        {
            final long value = beyond[n];
            UnsafeApi.putLong(destinationArray, destinationAddress + (n << 3),
                NATIVE_LITTLE_ENDIAN ? value : Long.reverseBytes(value));
        }
    }

    public void copyTo(final MutableDirectBuffer destination, final int destinationOffset)
    {
        copyTo(destination, destinationOffset, REGISTER_COUNT);
    }

    /**
     * Zero-extends w0..w7, as an SMC32 call is seen by its callee: the upper halves are never
     * part of it. x8..x17 are left alone (v1.2 rules check some of them; they are never sent).
     */
    public RegisterFile zeroExtendSmc32()
    {
        for (int n = 0; n < Math.min(SMC32_REGISTER_COUNT, registerCount); n++)
        {
            w(n, w(n));
        }
        return this;
    }

    /** True when x{from}..x{to} inclusive are all zero. */
    public boolean isZero(final int from, final int to)
    {
        // Past a view's message only written registers can be non-zero.
        final int last = beyondDirty ? Objects.checkIndex(to, REGISTER_COUNT) :
            Math.min(Objects.checkIndex(to, REGISTER_COUNT), registerCount - 1);
        for (int n = from; n <= last; n++)
        {
            if (x(n) != 0)
            {
                return false;
            }
        }
        return true;
    }

    // Return forms.

    /** FFA_ERROR with the code in w2; every other register zero. */
    public RegisterFile error(final int errorCode)
    {
        clear();
        w(0, FunctionId.FFA_ERROR);
        return w(2, errorCode);
    }

    /** FFA_SUCCESS_32 with every argument register zero. */
    public RegisterFile success()
    {
        clear();
        return w(0, FunctionId.FFA_SUCCESS_32);
    }

    /** FFA_SUCCESS_64 with every argument register zero. */
    public RegisterFile success64()
    {
        clear();
        return w(0, FunctionId.FFA_SUCCESS_64);
    }

    public boolean isError()
    {
        return w(0) == FunctionId.FFA_ERROR || w(0) == FunctionId.FFA_ERROR_64;
    }

    public boolean isSuccess()
    {
        return w(0) == FunctionId.FFA_SUCCESS_32 || w(0) == FunctionId.FFA_SUCCESS_64;
    }

    /** The signed error code of an FFA_ERROR return (w2). */
    public int errorCode()
    {
        return w(2);
    }

    // Field packing shared by many calls.

    /** Sender in [31:16], receiver in [15:0]. */
    public static int packIds(final int sender, final int receiver)
    {
        return ((sender & 0xFFFF) << 16) | (receiver & 0xFFFF);
    }

    public static int senderOf(final int ids)
    {
        return ids >>> 16;
    }

    public static int receiverOf(final int ids)
    {
        return ids & 0xFFFF;
    }

    /** Target info: endpoint ID in [31:16], execution-context (vCPU) index in [15:0]. */
    public static int packTargetInfo(final int endpointId, final int vcpuIndex)
    {
        return packIds(endpointId, vcpuIndex);
    }

    public static int handleLo(final long handle)
    {
        return (int)handle;
    }

    public static int handleHi(final long handle)
    {
        return (int)(handle >>> 32);
    }

    public static long handle(final int lo, final int hi)
    {
        return (lo & 0xFFFF_FFFFL) | ((long)hi << 32);
    }

    /** w2 of a framework direct message of the given type. */
    public static int frameworkMessageFlags(final int type)
    {
        return DIRECT_MSG_FRAMEWORK_BIT | (type & DIRECT_MSG_FRAMEWORK_TYPE_MASK);
    }

    public static boolean isFrameworkMessage(final int flags)
    {
        return (flags & DIRECT_MSG_FRAMEWORK_BIT) != 0;
    }

    public static int frameworkMessageType(final int flags)
    {
        return flags & DIRECT_MSG_FRAMEWORK_TYPE_MASK;
    }

    /**
     * Direct message flags (w2) are valid when zero (a partition message: the whole of w2 is
     * MBZ), or bit 31 plus a type in [7:0] and nothing else (a framework message).
     */
    public static boolean isValidDirectMessageFlags(final int flags)
    {
        return flags == 0 || (flags & ~DIRECT_MSG_FRAMEWORK_TYPE_MASK) == DIRECT_MSG_FRAMEWORK_BIT;
    }

    /**
     * The flags register of a DIRECT_REQ/RESP as a whole: for SMC64 calls x2 is all flags, so bits
     * [63:32] are MBZ too (Hafnium checks x2); SMC32 calls arrive zero-extended.
     */
    public static boolean isValidDirectMessageFlags(final long x2)
    {
        return (x2 >>> 32) == 0 && isValidDirectMessageFlags((int)x2);
    }

    /** UUID in w{first}..w{first+3}, as PARTITION_INFO_GET takes it. */
    public RegisterFile uuidWords(final int first, final long mostSigBits, final long leastSigBits)
    {
        final long lo = FfaUuid.lo(mostSigBits);
        final long hi = FfaUuid.hi(leastSigBits);
        w(first, (int)lo);
        w(first + 1, (int)(lo >>> 32));
        w(first + 2, (int)hi);
        return w(first + 3, (int)(hi >>> 32));
    }

    public RegisterFile uuidWords(final int first, final UUID uuid)
    {
        return uuidWords(first, uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
    }

    /** Bytes 0-7 of a UUID held in w{first}, w{first+1}, as a little-endian u64. */
    public long uuidWordsLo(final int first)
    {
        return (w(first) & 0xFFFF_FFFFL) | ((long)w(first + 1) << 32);
    }

    /** Bytes 8-15 of a UUID held in w{first+2}, w{first+3}, as a little-endian u64. */
    public long uuidWordsHi(final int first)
    {
        return (w(first + 2) & 0xFFFF_FFFFL) | ((long)w(first + 3) << 32);
    }

    public UUID uuidFromWords(final int first)
    {
        return FfaUuid.fromWords(uuidWordsLo(first), uuidWordsHi(first));
    }

    /** UUID in x{first}, x{first+1}, as DIRECT_REQ2 and PARTITION_INFO_GET_REGS take it. */
    public RegisterFile uuidPair(final int first, final long mostSigBits, final long leastSigBits)
    {
        x(first, FfaUuid.lo(mostSigBits));
        return x(first + 1, FfaUuid.hi(leastSigBits));
    }

    public RegisterFile uuidPair(final int first, final UUID uuid)
    {
        return uuidPair(first, uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
    }

    public UUID uuidFromPair(final int first)
    {
        return FfaUuid.fromWords(x(first), x(first + 1));
    }

    public String toString()
    {
        return RegisterDecoder.decode(this, new StringBuilder()).toString();
    }
}
