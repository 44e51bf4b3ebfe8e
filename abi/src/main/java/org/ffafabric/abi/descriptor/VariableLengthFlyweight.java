package org.ffafabric.abi.descriptor;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A descriptor whose length its fields decide, wrapped as {@code (buffer, offset, length)};
 * its {@code appendTo} renders any window, truncated ones included.
 */
abstract class VariableLengthFlyweight<T extends VariableLengthFlyweight<T>> extends Flyweight<T>
{
    VariableLengthFlyweight(final String name)
    {
        super(name, true);
    }

    public T wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        return window(buffer, offset, length);
    }

    public T wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        return window(buffer, offset, length);
    }
}
