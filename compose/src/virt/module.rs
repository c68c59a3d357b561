//! The core module of a generated provider, written with wasm-encoder: one exported function per WIT function
//! the provider exports (named and typed as wit-component expects: `Resolve::wasm_export_name` and
//! `wasm_signature`), a memory with the static data its answers point to, a bump `cabi_realloc` for the calls it
//! forwards to the host, and a post-return for each export that frees what the call allocated.

use super::layout::{Data, Returned};
use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, EntityType, ExportKind, ExportSection, Function,
    FunctionSection, GlobalSection, GlobalType, ImportSection, IndirectNameMap, Instruction,
    MemorySection, MemoryType, Module, NameMap, NameSection, TypeSection, ValType,
};
use wit_parser::abi::{WasmSignature, WasmType};

/// What an exported function does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Body {
    /// Traps (`unreachable`); the name section names the function, so the trap's backtrace says what it is.
    Trap,
    /// Returns nothing and does nothing.
    Nothing,
    /// Returns a value laid out in the static data.
    Return(Returned),
    /// Calls the import at this index with the same arguments and returns what it returns.
    Forward(u32),
}

/// A function the module imports (from the host, through the provider's own import of the interface).
pub(super) struct Import {
    pub(super) module: String,
    pub(super) name: String,
    pub(super) sig: WasmSignature,
}

/// A function the module exports.
pub(super) struct Export {
    pub(super) name: String,
    pub(super) post_return: String,
    pub(super) sig: WasmSignature,
    pub(super) body: Body,
    /// What the name section calls it (`wasi:clocks/wall-clock@0.2.3#now (stubbed by weld virt)`).
    pub(super) label: String,
}

/// The whole module.
pub(super) struct CoreModule {
    pub(super) imports: Vec<Import>,
    pub(super) exports: Vec<Export>,
    pub(super) data: Data,
    /// Where a forwarded call's results are written (a return area as large as the largest).
    pub(super) scratch: u32,
    /// The first address `cabi_realloc` hands out; everything it handed out is freed at each post-return.
    pub(super) heap: u32,
    /// `memory` and `cabi_realloc` as the mangling names them.
    pub(super) memory_name: String,
    pub(super) realloc_name: String,
}

const PAGE: u32 = 1 << 16;

fn val(ty: &WasmType) -> ValType {
    match ty {
        WasmType::I32 | WasmType::Pointer | WasmType::Length => ValType::I32,
        WasmType::I64 | WasmType::PointerOrI64 => ValType::I64,
        WasmType::F32 => ValType::F32,
        WasmType::F64 => ValType::F64,
    }
}

fn vals(types: &[WasmType]) -> Vec<ValType> {
    types.iter().map(val).collect()
}

impl CoreModule {
    /// The module's bytes.
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut types = TypeSection::new();
        let mut type_count = 0u32;
        let mut new_type = |params: Vec<ValType>, results: Vec<ValType>| {
            types.ty().function(params, results);
            type_count += 1;
            type_count - 1
        };
        let mut imports = ImportSection::new();
        for import in &self.imports {
            let ty = new_type(vals(&import.sig.params), vals(&import.sig.results));
            imports.import(&import.module, &import.name, EntityType::Function(ty));
        }
        let imported = self.imports.len() as u32;
        let mut functions = FunctionSection::new();
        let mut exports = ExportSection::new();
        let mut code = CodeSection::new();
        let mut names = NameMap::new();
        let mut index = imported;
        for export in &self.exports {
            let ty = new_type(vals(&export.sig.params), vals(&export.sig.results));
            functions.function(ty);
            exports.export(&export.name, ExportKind::Func, index);
            names.append(index, &export.label);
            code.function(&self.body(export));
            index += 1;
            let post = new_type(vals(&export.sig.results), Vec::new());
            functions.function(post);
            exports.export(&export.post_return, ExportKind::Func, index);
            let mut reset = Function::new([]);
            reset
                .instruction(&Instruction::I32Const(self.heap as i32))
                .instruction(&Instruction::GlobalSet(0))
                .instruction(&Instruction::End);
            code.function(&reset);
            index += 1;
        }
        let realloc = new_type(vec![ValType::I32; 4], vec![ValType::I32]);
        functions.function(realloc);
        exports.export(&self.realloc_name, ExportKind::Func, index);
        names.append(
            index,
            "cabi_realloc (a bump allocator, reset after each call)",
        );
        code.function(&bump_realloc());
        exports.export(&self.memory_name, ExportKind::Memory, 0);

        let mut memories = MemorySection::new();
        memories.memory(MemoryType {
            minimum: u64::from(self.heap.div_ceil(PAGE).max(1)),
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        let mut globals = GlobalSection::new();
        globals.global(
            GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            },
            &ConstExpr::i32_const(self.heap as i32),
        );
        let mut data = DataSection::new();
        data.active(
            0,
            &ConstExpr::i32_const(self.data.base() as i32),
            self.data.bytes().iter().copied(),
        );
        let mut name_section = NameSection::new();
        name_section.functions(&names);
        name_section.locals(&IndirectNameMap::new());

        let mut module = Module::new();
        module
            .section(&types)
            .section(&imports)
            .section(&functions)
            .section(&memories)
            .section(&globals)
            .section(&exports)
            .section(&code)
            .section(&data)
            .section(&name_section);
        module.finish()
    }

    fn body(&self, export: &Export) -> Function {
        let mut f = Function::new([]);
        match &export.body {
            Body::Trap => {
                f.instruction(&Instruction::Unreachable);
            }
            Body::Nothing => {}
            Body::Return(Returned::Immediate(value)) => {
                f.instruction(&Instruction::I32Const(*value));
            }
            Body::Return(Returned::Stored(at)) => {
                f.instruction(&Instruction::I32Const(*at as i32));
            }
            Body::Forward(import) => {
                for param in 0..export.sig.params.len() as u32 {
                    f.instruction(&Instruction::LocalGet(param));
                }
                let retptr = self.imports[*import as usize].sig.retptr;
                if retptr {
                    f.instruction(&Instruction::I32Const(self.scratch as i32));
                }
                f.instruction(&Instruction::Call(*import));
                if retptr {
                    f.instruction(&Instruction::I32Const(self.scratch as i32));
                }
            }
        }
        f.instruction(&Instruction::End);
        f
    }
}

/// `cabi_realloc(old, old_size, align, size) -> ptr`: takes `size` bytes at the next `align`ed address of the
/// heap (global 0), growing the memory when it must; traps when it cannot. Only fresh allocations are asked of a
/// provider (the host lowering a forwarded call's results), so `old` is never moved.
fn bump_realloc() -> Function {
    let (align, size, ptr) = (2, 3, 4);
    let mut f = Function::new([(1, ValType::I32)]);
    for i in [
        // ptr = (heap + align - 1) & -align
        Instruction::GlobalGet(0),
        Instruction::LocalGet(align),
        Instruction::I32Add,
        Instruction::I32Const(1),
        Instruction::I32Sub,
        Instruction::I32Const(0),
        Instruction::LocalGet(align),
        Instruction::I32Sub,
        Instruction::I32And,
        Instruction::LocalTee(ptr),
        // heap = ptr + size
        Instruction::LocalGet(size),
        Instruction::I32Add,
        Instruction::GlobalSet(0),
        // if heap > memory.size * 64 KiB: grow by the pages missing, trap if that fails
        Instruction::GlobalGet(0),
        Instruction::MemorySize(0),
        Instruction::I32Const(16),
        Instruction::I32Shl,
        Instruction::I32GtU,
        Instruction::If(wasm_encoder::BlockType::Empty),
        Instruction::GlobalGet(0),
        Instruction::MemorySize(0),
        Instruction::I32Const(16),
        Instruction::I32Shl,
        Instruction::I32Sub,
        Instruction::I32Const(PAGE as i32 - 1),
        Instruction::I32Add,
        Instruction::I32Const(16),
        Instruction::I32ShrU,
        Instruction::MemoryGrow(0),
        Instruction::I32Const(-1),
        Instruction::I32Eq,
        Instruction::If(wasm_encoder::BlockType::Empty),
        Instruction::Unreachable,
        Instruction::End,
        Instruction::End,
        Instruction::LocalGet(ptr),
        Instruction::End,
    ] {
        f.instruction(&i);
    }
    f
}
