package org.ffafabric.abi.descriptor;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A descriptor of one fixed length, wrapped as {@code (buffer, offset)}; its window is always
 * that length.
 */
abstract class FixedLengthFlyweight<T extends FixedLengthFlyweight<T>> extends Flyweight<T>
{
    private final int encodedLength;

    FixedLengthFlyweight(final String name, final int encodedLength)
    {
        super(name, false);
        this.encodedLength = encodedLength;
    }

    public T wrap(final DirectBuffer buffer, final int offset)
    {
        return window(buffer, offset, encodedLength);
    }

    public T wrap(final MutableDirectBuffer buffer, final int offset)
    {
        return window(buffer, offset, encodedLength);
    }

    public int encodedLength()
    {
        return encodedLength;
    }
}
