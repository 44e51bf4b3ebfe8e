package org.ffafabric.abi.descriptor;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * What every descriptor flyweight shares: the window {@code [offset, offset + length)} over a
 * buffer, read-only or (when wrapped over a {@link MutableDirectBuffer}) writable, its
 * accessors, the bounds check {@code validate()} and {@code appendTo} start from, and
 * {@link #toString()} by way of {@link #appendTo(StringBuilder)}.
 * <p>
 * The public {@code wrap} overloads live in {@link FixedLengthFlyweight},
 * {@link VariableLengthFlyweight} and {@link VersionedFlyweight}, one family per wrap shape,
 * so that each descriptor exposes exactly the shape it always had.
 *
 * @param <T> the descriptor itself, so that wraps return it and fluent chains keep its type.
 */
abstract class Flyweight<T extends Flyweight<T>>
{
    /** Every FF-A descriptor field is little-endian. */
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    /** Name used by the fallback renderings ({@code Name{truncated: ...}}, {@code Name{unwrapped}}). */
    private final String name;
    /** When true {@link #appendTo} copes with any window, a missing buffer included. */
    private final boolean appendToChecksWindow;

    DirectBuffer buffer;
    MutableDirectBuffer mutableBuffer;
    int offset;
    int length;

    Flyweight(final String name, final boolean appendToChecksWindow)
    {
        this.name = name;
        this.appendToChecksWindow = appendToChecksWindow;
    }

    @SuppressWarnings("unchecked")
    final T window(final DirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.mutableBuffer = null;
        this.offset = offset;
        this.length = length;
        return (T)this;
    }

    @SuppressWarnings("unchecked")
    final T window(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        window((DirectBuffer)buffer, offset, length);
        this.mutableBuffer = buffer;
        return (T)this;
    }

    /** Wraps {@code child} over {@code [at, at + length)} of this buffer, writable when this flyweight is. */
    final <C extends Flyweight<C>> C wrapChild(final C child, final int at, final int length)
    {
        return mutableBuffer != null ? child.window(mutableBuffer, at, length) : child.window(buffer, at, length);
    }

    public DirectBuffer buffer()
    {
        return buffer;
    }

    public int offset()
    {
        return offset;
    }

    public int length()
    {
        return length;
    }

    /**
     * True when {@code buffer} is present and the window {@code [offset, offset + length)} lies
     * inside it and is at least {@code minLength} long (64-bit arithmetic: never overflows).
     */
    static boolean windowInBuffer(final DirectBuffer buffer, final int offset, final int length, final long minLength)
    {
        return buffer != null && offset >= 0 && length >= minLength && (long)offset + length <= buffer.capacity();
    }

    /** {@link #windowInBuffer(DirectBuffer, int, int, long)} for this flyweight's window. */
    final boolean windowInBuffer(final long minLength)
    {
        return windowInBuffer(buffer, offset, length, minLength);
    }

    /** The rendering of a window too short for, or outside, the buffer. */
    final StringBuilder appendTruncated(final StringBuilder out)
    {
        return out.append(name).append("{truncated: length=").append(length).append('}');
    }

    /** Field by field, for humans. */
    public abstract StringBuilder appendTo(StringBuilder out);

    public String toString()
    {
        if (buffer == null && !appendToChecksWindow)
        {
            return name + "{unwrapped}";
        }
        return appendTo(new StringBuilder()).toString();
    }
}
