/**
 * One flyweight per FF-A descriptor (reference §5), in the style of Agrona and SBE.
 * <p>
 * Conventions every class follows:
 * <ul>
 *   <li>{@code wrap(buffer, offset, length[, version])} returns {@code this}; wrapping a
 *       {@link org.agrona.DirectBuffer} gives a read-only view, a
 *       {@link org.agrona.MutableDirectBuffer} enables the fluent setters. The window, the wraps
 *       and {@code toString()} come from a package-private base class by wrap shape:
 *       {@code FixedLengthFlyweight} {@code (buffer, offset)}, {@code VariableLengthFlyweight}
 *       {@code (buffer, offset, length)}, {@code VersionedFlyweight}
 *       {@code (buffer, offset, length, version)}.</li>
 *   <li>Fields are little-endian; offsets and lengths are {@code static final int}s named
 *       after the spec's fields; the layout is drawn in each class comment.</li>
 *   <li>Where a layout changed between versions (partition info, memory transaction, EMAD,
 *       indirect message header) the wrap takes the version the endpoint negotiated.</li>
 *   <li>Getters trust the bytes. {@code validate()} is the gate for anything another
 *       partition wrote: it never throws, never reads outside {@code [offset, offset + length)},
 *       does its arithmetic in 64 bits, and answers 0 or a negative FF-A error code.</li>
 *   <li>{@code appendTo(StringBuilder)} and {@code toString()} are for humans and tolerate
 *       malformed input; {@link org.ffafabric.abi.descriptor.DescriptorDecoder} picks the
 *       descriptor a call carries.</li>
 * </ul>
 */
package org.ffafabric.abi.descriptor;
