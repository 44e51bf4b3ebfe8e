package org.ffafabric.abi;

import org.ffafabric.abi.descriptor.MemoryTransactionFlags;

/**
 * Renders a register file as one line of text: the function's name, then its fields named
 * as the spec names them for the common calls (reference §4), then any other non-zero
 * register raw, so a value in an MBZ register is never hidden. Traces and the {@code ffa}
 * tool print calls with it; it is not on a hot path, but it does not throw on any input.
 * <p>
 * Return forms that depend on the call they answer (FFA_SUCCESS) print raw registers.
 */
public final class RegisterDecoder
{
    private RegisterDecoder()
    {
    }

    public static StringBuilder decode(final RegisterFile registers, final StringBuilder out)
    {
        final int functionId = registers.functionId();
        out.append(FunctionId.describe(functionId));
        final int consumed = named(registers, functionId, out);
        final int last = FunctionId.isSmc64(functionId) ? RegisterFile.REGISTER_COUNT : RegisterFile.SMC32_REGISTER_COUNT;
        for (int n = 1; n < last; n++)
        {
            final long value = registers.x(n);
            if ((consumed & (1 << n)) == 0 && value != 0)
            {
                out.append(" x").append(n).append("=0x").append(Long.toHexString(value));
            }
        }
        return out;
    }

    /** Appends the named fields; answers a bit set of the registers it rendered. */
    private static int named(final RegisterFile r, final int functionId, final StringBuilder out)
    {
        switch (functionId)
        {
            case FunctionId.FFA_ERROR:
            case FunctionId.FFA_ERROR_64:
                out.append('(').append(ErrorCode.name(r.errorCode())).append(')');
                if (r.w(1) != 0)
                {
                    target(out.append(" target="), r.w(1));
                }
                return regs(1, 2);

            case FunctionId.FFA_VERSION:
                out.append(' ').append(FfaVersion.toString(r.w(1)));
                return regs(1);

            case FunctionId.FFA_FEATURES:
            {
                final int id = r.w(1);
                out.append(" id=").append(FeatureId.isFeatureId(id) ? FeatureId.name(id) : FunctionId.describe(id));
                out.append(" properties=0x").append(Integer.toHexString(r.w(2)));
                // A feature ID with bits [30:8] set names no feature: show w1 raw as well.
                return FeatureId.isFeatureId(id) && !FeatureId.isValidFeatureId(id) ? regs(2) : regs(1, 2);
            }

            case FunctionId.FFA_RXTX_MAP_32:
            case FunctionId.FFA_RXTX_MAP_64:
                out.append(" tx=0x").append(Long.toHexString(address(r, functionId, 1)))
                    .append(" rx=0x").append(Long.toHexString(address(r, functionId, 2)))
                    .append(" pages=").append(r.w(3) & 0x3F);
                if ((r.w(3) & ~0x3F) != 0)
                {
                    out.append(" w3-mbz=0x").append(Integer.toHexString(r.w(3) & ~0x3F));
                }
                return upperHalfClear(r, functionId, 3) ? regs(1, 2, 3) : regs(1, 2);

            case FunctionId.FFA_RXTX_UNMAP:
                EndpointId.appendTo(RegisterFile.senderOf(r.w(1)), out.append(" id="));
                return (r.w(1) & 0xFFFF) == 0 ? regs(1) : 0;

            case FunctionId.FFA_PARTITION_INFO_GET:
                out.append(" uuid=").append(FfaUuid.fromWords(r.uuidWordsLo(1), r.uuidWordsHi(1)));
                out.append(" flags=0x").append(Integer.toHexString(r.w(5)));
                if ((r.w(5) & 1) != 0)
                {
                    out.append("(count-only)");
                }
                return regs(1, 2, 3, 4, 5);

            case FunctionId.FFA_PARTITION_INFO_GET_REGS:
                out.append(" uuid=").append(r.uuidFromPair(1))
                    .append(" start=").append(PartitionInfoRegs.startIndex(r.x(3)))
                    .append(" tag=").append(PartitionInfoRegs.requestTag(r.x(3)));
                return PartitionInfoRegs.isValidRequest(r.x(3)) ? regs(1, 2, 3) : regs(1, 2);

            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_32:
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP_32:
            case FunctionId.FFA_MSG_SEND_DIRECT_REQ_64:
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP_64:
            {
                ids(out, r.w(1));
                final int flags = r.w(2);
                out.append(" flags=");
                if (RegisterFile.isFrameworkMessage(flags))
                {
                    out.append("framework:").append(FrameworkMessage.name(RegisterFile.frameworkMessageType(flags)));
                    if (!RegisterFile.isValidDirectMessageFlags(flags))
                    {
                        out.append("(mbz=0x").append(Integer.toHexString(flags)).append(')');
                    }
                }
                else
                {
                    out.append(flags == 0 ? "0" : "0x" + Integer.toHexString(flags));
                }
                payload(out, r, functionId, 3, 7);
                // SMC64: the flags are all of x2, so a set bit in [63:32] shows raw.
                return regs(1, 3, 4, 5, 6, 7) | (upperHalfClear(r, functionId, 2) ? regs(2) : 0);
            }

            case FunctionId.FFA_MSG_SEND_DIRECT_REQ2:
            case FunctionId.FFA_MSG_SEND_DIRECT_RESP2:
            {
                ids(out, r.w(1));
                if (functionId == FunctionId.FFA_MSG_SEND_DIRECT_REQ2)
                {
                    out.append(" uuid=").append(r.uuidFromPair(2));
                }
                int lastNonZero = 3;
                for (int n = 4; n < RegisterFile.REGISTER_COUNT; n++)
                {
                    lastNonZero = r.x(n) != 0 ? n : lastNonZero;
                }
                payload(out, r, functionId, 4, Math.max(lastNonZero, 4));
                int consumed = regs(1) | (0x3FFF << 4);
                return functionId == FunctionId.FFA_MSG_SEND_DIRECT_REQ2 ? consumed | regs(2, 3) : consumed;
            }

            case FunctionId.FFA_RUN:
            case FunctionId.FFA_RUN_64:
                target(out.append(" target="), r.w(1));
                return regs(1);

            case FunctionId.FFA_INTERRUPT:
            case FunctionId.FFA_INTERRUPT_64:
                target(out.append(" target="), r.w(1));
                out.append(" interrupt=").append(r.w(2));
                return regs(1, 2);

            case FunctionId.FFA_YIELD:
            case FunctionId.FFA_YIELD_64:
                target(out.append(" target="), r.w(1));
                out.append(" timeout=").append(RegisterFile.handle(r.w(2), r.w(3)));
                return regs(1, 2, 3);

            case FunctionId.FFA_MSG_SEND2:
                EndpointId.appendTo(RegisterFile.senderOf(r.w(1)), out.append(" sender="));
                out.append(" flags=0x").append(Integer.toHexString(r.w(2)));
                return (r.w(1) & 0xFFFF) == 0 ? regs(1, 2) : regs(2);

            case FunctionId.FFA_MEM_DONATE_32:
            case FunctionId.FFA_MEM_DONATE_64:
            case FunctionId.FFA_MEM_LEND_32:
            case FunctionId.FFA_MEM_LEND_64:
            case FunctionId.FFA_MEM_SHARE_32:
            case FunctionId.FFA_MEM_SHARE_64:
            case FunctionId.FFA_MEM_RETRIEVE_REQ_32:
            case FunctionId.FFA_MEM_RETRIEVE_REQ_64:
                out.append(" total=").append(r.w(1) & 0xFFFF_FFFFL).append(" fragment=").append(r.w(2) & 0xFFFF_FFFFL);
                if (address(r, functionId, 3) != 0 || r.w(4) != 0)
                {
                    out.append(" buffer=0x").append(Long.toHexString(address(r, functionId, 3)))
                        .append(" pages=").append(r.w(4) & 0xFFFF_FFFFL);
                }
                if (MemoryTransactionFlags.typeOfFunction(functionId) >= 0)
                {
                    out.append(" type=").append(MemoryTransactionFlags.typeName(MemoryTransactionFlags.typeOfFunction(functionId)));
                }
                return regs(1, 2, 3, 4);

            case FunctionId.FFA_MEM_RETRIEVE_RESP:
                out.append(" total=").append(r.w(1) & 0xFFFF_FFFFL).append(" fragment=").append(r.w(2) & 0xFFFF_FFFFL);
                return regs(1, 2);

            case FunctionId.FFA_MEM_FRAG_RX:
            case FunctionId.FFA_MEM_FRAG_TX:
                handle(out, r, 1);
                out.append(functionId == FunctionId.FFA_MEM_FRAG_RX ? " offset=" : " length=").append(r.w(3) & 0xFFFF_FFFFL);
                if (r.w(4) != 0)
                {
                    EndpointId.appendTo(RegisterFile.senderOf(r.w(4)), out.append(" sender="));
                }
                return (r.w(4) & 0xFFFF) == 0 ? regs(1, 2, 3, 4) : regs(1, 2, 3);

            case FunctionId.FFA_MEM_RECLAIM:
                handle(out, r, 1);
                out.append(" flags=0x").append(Integer.toHexString(r.w(3)));
                return regs(1, 2, 3);

            case FunctionId.FFA_MEM_OP_PAUSE:
            case FunctionId.FFA_MEM_OP_RESUME:
                handle(out, r, 1);
                return regs(1, 2);

            case FunctionId.FFA_NOTIFICATION_BIND:
            case FunctionId.FFA_NOTIFICATION_UNBIND:
            case FunctionId.FFA_NOTIFICATION_SET:
                ids(out, r.w(1));
                out.append(" flags=0x").append(Integer.toHexString(r.w(2)))
                    .append(" bitmap=0x").append(Long.toHexString(NotificationBitmap.get(r, 3)));
                return regs(1, 2, 3, 4);

            case FunctionId.FFA_NOTIFICATION_GET:
                EndpointId.appendTo(RegisterFile.receiverOf(r.w(1)), out.append(" receiver="));
                out.append(" vcpu=").append(RegisterFile.senderOf(r.w(1)))
                    .append(" flags=0x").append(Integer.toHexString(r.w(2)));
                return regs(1, 2);

            case FunctionId.FFA_NOTIFICATION_BITMAP_CREATE:
                EndpointId.appendTo(r.w(1) & 0xFFFF, out.append(" vm="));
                out.append(" vcpus=").append(r.w(2) & 0xFFFF_FFFFL);
                return (r.w(1) >>> 16) == 0 ? regs(1, 2) : regs(2);

            case FunctionId.FFA_NOTIFICATION_BITMAP_DESTROY:
            case FunctionId.FFA_RX_RELEASE:
            case FunctionId.FFA_RX_ACQUIRE:
                if (r.w(1) != 0)
                {
                    EndpointId.appendTo(r.w(1) & 0xFFFF, out.append(" vm="));
                    return (r.w(1) >>> 16) == 0 ? regs(1) : 0;
                }
                return 0;

            default:
                return 0;
        }
    }

    private static int regs(final int... numbers)
    {
        int set = 0;
        for (final int n : numbers)
        {
            set |= 1 << n;
        }
        return set;
    }

    /** True when an SMC64 call's x{n} has nothing in [63:32]; always for SMC32, whose upper halves are not sent. */
    private static boolean upperHalfClear(final RegisterFile r, final int functionId, final int n)
    {
        return !FunctionId.isSmc64(functionId) || (r.x(n) >>> 32) == 0;
    }

    private static long address(final RegisterFile r, final int functionId, final int n)
    {
        return FunctionId.isSmc64(functionId) ? r.x(n) : r.w(n) & 0xFFFF_FFFFL;
    }

    private static void ids(final StringBuilder out, final int ids)
    {
        EndpointId.appendTo(RegisterFile.senderOf(ids), out.append(" sender="));
        EndpointId.appendTo(RegisterFile.receiverOf(ids), out.append(" receiver="));
    }

    private static void target(final StringBuilder out, final int targetInfo)
    {
        EndpointId.appendTo(RegisterFile.senderOf(targetInfo), out);
        out.append(':').append(RegisterFile.receiverOf(targetInfo));
    }

    private static void handle(final StringBuilder out, final RegisterFile r, final int first)
    {
        MemoryHandle.appendTo(RegisterFile.handle(r.w(first), r.w(first + 1)), out.append(" handle="));
    }

    private static void payload(final StringBuilder out, final RegisterFile r, final int functionId, final int from, final int to)
    {
        out.append(" payload=[");
        for (int n = from; n <= to; n++)
        {
            if (n > from)
            {
                out.append(',');
            }
            out.append("0x").append(Long.toHexString(address(r, functionId, n)));
        }
        out.append(']');
    }
}
