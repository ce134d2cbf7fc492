// A minimal x86-64 instruction encoder for the JIT (jit.cpp): the handful of integer, memory
// and control instructions its templates use, with rel32 labels. Not a general assembler:
// operand forms are exactly what the templates need, all 32- or 64-bit unless named otherwise.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace wbpf::wasm::x64 {

enum Reg : uint8_t { rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15 };

/// Condition codes (the low nibble of Jcc/SETcc/CMOVcc).
enum Cond : uint8_t { o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g };

inline Cond negate(Cond c) noexcept {
    return static_cast<Cond>(c ^ 1);
}

/// A memory operand [base + index + disp] (index optional, scale 1).
struct Mem {
    Reg base;
    Reg index;
    bool has_index;
    int32_t disp;
};

inline Mem at(Reg base, int32_t disp) noexcept {
    return Mem{base, rax, false, disp};
}
inline Mem at(Reg base, Reg index, int32_t disp) noexcept {
    return Mem{base, index, true, disp};
}

/// Operand size of an instruction: 32-bit forms zero-extend their result into the full
/// register, as x86-64 does.
enum class W : uint8_t { d, q };

/// A position in the code that jumps refer to; bound once, referred to any number of times.
struct Label {
    int64_t bound = -1;          ///< code offset, -1 until bound
    std::vector<size_t> patches; ///< offsets of rel32 fields that refer to it
};

class Assembler {
public:
    std::vector<uint8_t> code;

    size_t size() const noexcept { return code.size(); }

    void bind(Label& label) {
        label.bound = static_cast<int64_t>(code.size());
        for (size_t at : label.patches)
            put_rel32(at, label.bound);
        label.patches.clear();
    }

    // ---- moves ----
    void mov_load(W w, Reg dst, const Mem& m) { op_mem(w, {0x8b}, dst, m); }
    void mov_store(W w, const Mem& m, Reg src) { op_mem(w, {0x89}, src, m); }
    void mov_store8(const Mem& m, Reg src) { op_mem(W::d, {0x88}, src, m, 0, true); }
    void mov_store16(const Mem& m, Reg src) { op_mem(W::d, {0x89}, src, m, 0x66); }
    void mov_rr(W w, Reg dst, Reg src) { op_rr(w, {0x8b}, dst, src); }
    /// mov dword/qword [m], imm32 (the qword form sign-extends imm).
    void mov_store_imm(W w, const Mem& m, int32_t imm) {
        op_mem(w, {0xc7}, 0, m);
        u32(static_cast<uint32_t>(imm));
    }
    void mov_store8_imm(const Mem& m, uint8_t imm) {
        op_mem(W::d, {0xc6}, 0, m);
        byte(imm);
    }
    void mov_store16_imm(const Mem& m, uint16_t imm) {
        op_mem(W::d, {0xc7}, 0, m, 0x66);
        byte(static_cast<uint8_t>(imm));
        byte(static_cast<uint8_t>(imm >> 8));
    }
    /// Loads a constant: 32-bit immediates zero-extend; others take the 10-byte form.
    void mov_imm(Reg dst, uint64_t imm) {
        if (imm <= UINT32_MAX) {
            rex(false, 0, dst, 0, false);
            byte(static_cast<uint8_t>(0xb8 + (dst & 7)));
            u32(static_cast<uint32_t>(imm));
        } else {
            rex(true, 0, dst, 0, true);
            byte(static_cast<uint8_t>(0xb8 + (dst & 7)));
            u64(imm);
        }
    }
    // Widening loads: movzx/movsx of 8 and 16 bits, movsxd of 32.
    void movzx8(Reg dst, const Mem& m) { op_mem(W::d, {0x0f, 0xb6}, dst, m); }
    void movzx16(Reg dst, const Mem& m) { op_mem(W::d, {0x0f, 0xb7}, dst, m); }
    void movsx8(W w, Reg dst, const Mem& m) { op_mem(w, {0x0f, 0xbe}, dst, m); }
    void movsx16(W w, Reg dst, const Mem& m) { op_mem(w, {0x0f, 0xbf}, dst, m); }
    void movsxd(Reg dst, const Mem& m) { op_mem(W::q, {0x63}, dst, m); }
    void movzx8_rr(Reg dst, Reg src) { op_rr(W::d, {0x0f, 0xb6}, dst, src, true); }
    void movsx8_rr(W w, Reg dst, Reg src) { op_rr(w, {0x0f, 0xbe}, dst, src, true); }
    void movsx16_rr(W w, Reg dst, Reg src) { op_rr(w, {0x0f, 0xbf}, dst, src); }
    void movsxd_rr(Reg dst, Reg src) { op_rr(W::q, {0x63}, dst, src); }
    void lea(Reg dst, const Mem& m) { op_mem(W::q, {0x8d}, dst, m); }
    /// 32-bit lea: the result zero-extended, the addition wrapped to 32 bits.
    void lea32(Reg dst, const Mem& m) { op_mem(W::d, {0x8d}, dst, m); }

    // ---- arithmetic: ALU group (add or adc sbb and sub xor cmp = /0 .. /7) ----
    enum Alu : uint8_t { add = 0, or_ = 1, and_ = 4, sub = 5, xor_ = 6, cmp = 7 };
    void alu_load(W w, Alu op, Reg dst, const Mem& m) {
        op_mem(w, {static_cast<uint8_t>(op * 8 + 3)}, dst, m);
    }
    void alu_rr(W w, Alu op, Reg dst, Reg src) {
        op_rr(w, {static_cast<uint8_t>(op * 8 + 3)}, dst, src);
    }
    void alu_imm(W w, Alu op, Reg dst, int32_t imm) {
        if (imm >= -128 && imm <= 127) {
            op_rr(w, {0x83}, static_cast<Reg>(op), dst);
            byte(static_cast<uint8_t>(imm));
        } else {
            op_rr(w, {0x81}, static_cast<Reg>(op), dst);
            u32(static_cast<uint32_t>(imm));
        }
    }
    void cmp_mem_imm(W w, const Mem& m, int32_t imm) {
        if (imm >= -128 && imm <= 127) {
            op_mem(w, {0x83}, 7, m);
            byte(static_cast<uint8_t>(imm));
        } else {
            op_mem(w, {0x81}, 7, m);
            u32(static_cast<uint32_t>(imm));
        }
    }
    void test_rr(W w, Reg a, Reg b) { op_rr(w, {0x85}, b, a); }
    void test_imm(Reg r, uint32_t imm) {
        op_rr(W::d, {0xf7}, 0, r);
        u32(imm);
    }
    void test_mem_imm(const Mem& m, uint32_t imm) {
        op_mem(W::d, {0xf7}, 0, m);
        u32(imm);
    }
    void imul_load(W w, Reg dst, const Mem& m) { op_mem(w, {0x0f, 0xaf}, dst, m); }
    void imul_imm(W w, Reg dst, Reg src, int32_t imm) {
        op_rr(w, {0x69}, dst, src);
        u32(static_cast<uint32_t>(imm));
    }
    void imul_rr(W w, Reg dst, Reg src) { op_rr(w, {0x0f, 0xaf}, dst, src); }

    // ---- shifts and rotates (rol ror . . shl shr . sar = /0 /1 /4 /5 /7) ----
    enum Shift : uint8_t { rol = 0, ror = 1, shl = 4, shr = 5, sar = 7 };
    void shift_cl(W w, Shift op, Reg r) { op_rr(w, {0xd3}, static_cast<Reg>(op), r); }
    void shift_imm(W w, Shift op, Reg r, uint8_t count) {
        op_rr(w, {0xc1}, static_cast<Reg>(op), r);
        byte(count);
    }

    // ---- bit counts (LZCNT/TZCNT/POPCNT, F3-prefixed) ----
    void lzcnt(W w, Reg dst, const Mem& m) { op_mem(w, {0x0f, 0xbd}, dst, m, 0xf3); }
    void tzcnt(W w, Reg dst, const Mem& m) { op_mem(w, {0x0f, 0xbc}, dst, m, 0xf3); }
    void popcnt(W w, Reg dst, const Mem& m) { op_mem(w, {0x0f, 0xb8}, dst, m, 0xf3); }

    // ---- division: edx:eax / r (div = /6, idiv = /7); cdq/cqo sign-extend eax/rax ----
    void div(W w, Reg r, bool is_signed) {
        op_rr(w, {0xf7}, static_cast<Reg>(is_signed ? 7 : 6), r);
    }
    /// rdx:rax = rax * r (unsigned; mul = /4).
    void mul(W w, Reg r) { op_rr(w, {0xf7}, 4, r); }
    void cdq(W w) {
        if (w == W::q) byte(0x48);
        byte(0x99);
    }

    // ---- flags to values ----
    void setcc(Cond c, Reg r) { op_rr(W::d, {0x0f, static_cast<uint8_t>(0x90 + c)}, 0, r, true); }
    void cmov_load(W w, Cond c, Reg dst, const Mem& m) {
        op_mem(w, {0x0f, static_cast<uint8_t>(0x40 + c)}, dst, m);
    }

    // ---- control ----
    void jmp(Label& target) {
        byte(0xe9);
        rel32(target);
    }
    void jcc(Cond c, Label& target) {
        byte(0x0f);
        byte(static_cast<uint8_t>(0x80 + c));
        rel32(target);
    }
    void ret() { byte(0xc3); }
    /// rep movsb / rep stosb: copy rcx bytes [rsi] -> [rdi], or store al into rcx bytes at
    /// [rdi], forward (the ABI keeps the direction flag clear).
    void rep_movsb() {
        byte(0xf3);
        byte(0xa4);
    }
    void rep_stosb() {
        byte(0xf3);
        byte(0xaa);
    }
    void push(Reg r) {
        if (r >= 8) byte(0x41);
        byte(static_cast<uint8_t>(0x50 + (r & 7)));
    }
    void pop(Reg r) {
        if (r >= 8) byte(0x41);
        byte(static_cast<uint8_t>(0x58 + (r & 7)));
    }
    void jmp_reg(Reg r) { op_rr(W::d, {0xff}, 4, r); }
    void jmp_mem(const Mem& m) { op_mem(W::d, {0xff}, 4, m); }
    void call_mem(const Mem& m) { op_mem(W::d, {0xff}, 2, m); }
    /// xmm0 = 0 (pxor), and 16 bytes of xmm0 to memory (movups): zeroing frames.
    void zero_xmm0() {
        byte(0x66);
        byte(0x0f);
        byte(0xef);
        byte(0xc0);
    }
    void store_xmm0(const Mem& m) { op_mem(W::d, {0x0f, 0x11}, 0, m); }
    /// 16 unaligned bytes between memory and xmm0-xmm7 (movups).
    void movups_load(unsigned xmm, const Mem& m) { op_mem(W::d, {0x0f, 0x10}, xmm, m); }
    void movups_store(const Mem& m, unsigned xmm) { op_mem(W::d, {0x0f, 0x11}, xmm, m); }
    void cmov_rr(W w, Cond c, Reg dst, Reg src) {
        op_rr(w, {0x0f, static_cast<uint8_t>(0x40 + c)}, dst, src);
    }
    /// lea dst, [rip + disp32]; returns the offset of disp32 (relative to the next instruction,
    /// which ends right after it) for the caller to fill in.
    size_t lea_rip(Reg dst) {
        rex(true, dst, 0, 0, false);
        byte(0x8d);
        byte(static_cast<uint8_t>((dst & 7) << 3 | 5));
        const size_t at = code.size();
        u32(0);
        return at;
    }
    void put_u32(size_t at, uint32_t v) { std::memcpy(code.data() + at, &v, 4); }

    void byte(uint8_t b) { code.push_back(b); }
    void u32(uint32_t v) {
        for (int i = 0; i < 4; ++i)
            byte(static_cast<uint8_t>(v >> (8 * i)));
    }
    void u64(uint64_t v) {
        for (int i = 0; i < 8; ++i)
            byte(static_cast<uint8_t>(v >> (8 * i)));
    }

private:
    void rel32(Label& target) {
        const size_t at = code.size();
        u32(0);
        if (target.bound >= 0)
            put_rel32(at, target.bound);
        else
            target.patches.push_back(at);
    }
    void put_rel32(size_t at, int64_t target) {
        const auto rel = static_cast<int32_t>(target - static_cast<int64_t>(at + 4));
        std::memcpy(code.data() + at, &rel, 4);
    }

    /// REX prefix when needed: W, R (reg), X (index), B (base/rm). `byte_regs`: an 8-bit
    /// register operand 4-7 needs a REX to mean spl..dil rather than ah..bh.
    void rex(bool w, unsigned reg, unsigned rm, unsigned index, bool force) {
        const uint8_t bits =
            static_cast<uint8_t>((w ? 8 : 0) | ((reg >> 3) << 2) | ((index >> 3) << 1) | (rm >> 3));
        if (bits || force) byte(static_cast<uint8_t>(0x40 | bits));
    }

    void op_mem(W w, std::initializer_list<uint8_t> opcode, unsigned reg, const Mem& m,
                uint8_t prefix = 0, bool byte_reg = false) {
        if (prefix) byte(prefix);
        rex(w == W::q, reg, m.base, m.has_index ? m.index : 0, byte_reg && reg >= 4 && reg < 8);
        for (uint8_t b : opcode)
            byte(b);
        const bool no_disp = m.disp == 0 && (m.base & 7) != 5;
        const bool disp8 = !no_disp && m.disp >= -128 && m.disp <= 127;
        const uint8_t mod = no_disp ? 0 : disp8 ? 1 : 2;
        if (m.has_index) {
            byte(static_cast<uint8_t>(mod << 6 | (reg & 7) << 3 | 4));
            byte(static_cast<uint8_t>((m.index & 7) << 3 | (m.base & 7)));
        } else if ((m.base & 7) == 4) {
            byte(static_cast<uint8_t>(mod << 6 | (reg & 7) << 3 | 4));
            byte(0x24);
        } else {
            byte(static_cast<uint8_t>(mod << 6 | (reg & 7) << 3 | (m.base & 7)));
        }
        if (disp8)
            byte(static_cast<uint8_t>(m.disp));
        else if (!no_disp)
            u32(static_cast<uint32_t>(m.disp));
    }

    void op_rr(W w, std::initializer_list<uint8_t> opcode, unsigned reg, unsigned rm,
               bool byte_rm = false) {
        rex(w == W::q, reg, rm, 0, byte_rm && rm >= 4 && rm < 8);
        for (uint8_t b : opcode)
            byte(b);
        byte(static_cast<uint8_t>(0xc0 | (reg & 7) << 3 | (rm & 7)));
    }
};

} // namespace wbpf::wasm::x64
