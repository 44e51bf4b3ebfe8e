package org.ffafabric.abi.descriptor;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A descriptor whose layout depends on the FF-A version the endpoint negotiated, wrapped as
 * {@code (buffer, offset, length, version)}.
 */
abstract class VersionedFlyweight<T extends VersionedFlyweight<T>> extends Flyweight<T>
{
    int version;

    VersionedFlyweight(final String name, final boolean appendToChecksWindow)
    {
        super(name, appendToChecksWindow);
    }

    public T wrap(final DirectBuffer buffer, final int offset, final int length, final int version)
    {
        this.version = version;
        return window(buffer, offset, length);
    }

    public T wrap(final MutableDirectBuffer buffer, final int offset, final int length, final int version)
    {
        this.version = version;
        return window(buffer, offset, length);
    }

    public int version()
    {
        return version;
    }
}
